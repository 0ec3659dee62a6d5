/**
 * A small RFC 4180 CSV reader, pure: comma-separated fields, optional double quotes (a quoted field
 * may hold commas, doubled quotes and line breaks), LF or CRLF line ends, a leading UTF-8 BOM ignored.
 * Every record keeps the line it starts on, so errors can name it. Blank lines are not records.
 */

export interface CsvRecord {
  /** 1-based line of the file the record starts on. */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  reason: string;
}

export interface CsvResult {
  records: CsvRecord[];
  problems: CsvProblem[];
}

export function parseCsv(text: string): CsvResult {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let bad: string | undefined;
    // One record: fields up to an unquoted line end (or the end of the text).
    for (;;) {
      if (i >= s.length) {
        if (quoted) bad = 'a quoted field is not closed before the end of the file';
        break;
      }
      const ch = s[i] as string;
      if (quoted) {
        if (ch === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          const next = s[i];
          if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r' && bad === undefined)
            bad = 'text after a closing quote (quote the whole field and double the quotes inside)';
          continue;
        }
        if (ch === '\n') line++;
        field += ch;
        i++;
        continue;
      }
      if (ch === '"') {
        if (field === '') quoted = true;
        else if (bad === undefined) bad = 'a quote inside an unquoted field';
        i++;
        continue;
      }
      if (ch === ',') {
        fields.push(field);
        field = '';
        i++;
        continue;
      }
      if (ch === '\r' && s[i + 1] === '\n') i++;
      if (ch === '\n' || ch === '\r') {
        i++;
        line++;
        break;
      }
      field += ch;
      i++;
    }
    fields.push(field);
    if (bad !== undefined) problems.push({ line: start, reason: bad });
    else if (!(fields.length === 1 && fields[0]?.trim() === '')) records.push({ line: start, fields });
  }
  return { records, problems };
}
