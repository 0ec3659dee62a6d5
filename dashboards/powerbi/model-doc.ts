/**
 * Reads the Power BI model that docs/powerbi.md describes (tables, relationships, DAX column
 * references), so tests can check the document against the code and the live warehouse.
 */

export interface DocTable {
  /** Name in the Power BI model. */
  name: string;
  /** Table or view in the warehouse. */
  source: string;
  columns: string[];
}

export interface ColumnRef {
  table: string;
  column: string;
}

export interface DocRelationship {
  from: ColumnRef;
  to: ColumnRef;
}

function tableRows(md: string, header: RegExp): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) throw new Error(`no table with header ${header} in the document`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const code = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

export function docTables(md: string): DocTable[] {
  return tableRows(md, /^\|\s*Table\s*\|\s*Source\s*\|/).map((row) => ({
    name: row[0]!,
    source: code(row[1]!)[0]!,
    columns: code(row[4]!),
  }));
}

const COLUMN_REF = /(?<![\w\]])([A-Za-z_][A-Za-z0-9_]*)\[([^\]]+)\]/g;

function refs(text: string): ColumnRef[] {
  return [...text.matchAll(COLUMN_REF)].map((m) => ({ table: m[1]!, column: m[2]! }));
}

export function docRelationships(md: string): DocRelationship[] {
  return tableRows(md, /^\|\s*From \(many\)\s*\|\s*To \(one\)\s*\|/).map((row) => {
    const from = refs(row[0]!)[0];
    const to = refs(row[1]!)[0];
    if (from === undefined || to === undefined)
      throw new Error(`relationship row without Table[column]: ${row}`);
    return { from, to };
  });
}

/** Every `Table[column]` in the ```dax blocks (measure references `[Measure]` have no table). */
export function daxColumnRefs(md: string): ColumnRef[] {
  return [...md.matchAll(/```dax\n([\s\S]*?)```/g)].flatMap((m) => refs(m[1]!));
}

/** Names of the measures the ```dax blocks define: each paragraph is one `Name = expression`. */
export function daxMeasures(md: string): string[] {
  return [...md.matchAll(/```dax\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split(/\n\s*\n/)
      .map((paragraph) => paragraph.trim())
      .filter((paragraph) => paragraph !== '')
      .map((paragraph) => {
        const name = paragraph.match(/^([^=\n]+?) =/)?.[1];
        if (name === undefined) throw new Error(`DAX paragraph without 'Name =': ${paragraph.slice(0, 60)}`);
        return name;
      }),
  );
}

/** `[Name]` references in the ```dax blocks that are not column references. */
export function daxMeasureRefs(md: string): string[] {
  return [...md.matchAll(/```dax\n([\s\S]*?)```/g)].flatMap((m) =>
    [...m[1]!.matchAll(/(?<![\w\]])\[([^\]]+)\]/g)].map((r) => r[1]!),
  );
}
