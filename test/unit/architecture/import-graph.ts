/**
 * The project's own import graph, read with the TypeScript compiler's pre-processor (static imports,
 * `export ... from`, dynamic `import()`; type-only imports count too), and the two rules it must
 * keep: imports point down the layers (docs/architecture.md), and no module reaches itself again.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

/**
 * The layers, bottom (0) to top. A file may import its own top-level folder, or a folder of a lower
 * rank. Folders of the same rank may not import each other, except in the top rank: demo, bench and
 * test drive everything and share helpers.
 */
export const LAYERS: Readonly<Record<string, number>> = {
  lib: 0,
  api: 1,
  workloads: 2,
  dashboards: 2,
  cdk8s: 3,
  operator: 4,
  cli: 5,
  infra: 6,
  demo: 7,
  bench: 7,
  test: 7,
};
const TOP = Math.max(...Object.values(LAYERS));

export interface Edge {
  from: string;
  to: string;
}

const SKIP = new Set(['node_modules', 'dist', '.state', '.git']);

/** Repository-relative paths of every `.ts` file under the layer folders. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) out.push(rel);
    }
  };
  for (const folder of Object.keys(LAYERS)) if (existsSync(join(root, folder))) walk(folder);
  return out.sort();
}

/** Relative imports of one file, resolved to repository-relative paths. */
export function importsOf(file: string, source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith('./') || spec.startsWith('../'))
    .map((spec) => normalize(join(dirname(file), spec)));
}

export function importGraph(root: string): Edge[] {
  return sourceFiles(root).flatMap((from) =>
    importsOf(from, readFileSync(join(root, from), 'utf8')).map((to) => ({ from, to })),
  );
}

const folderOf = (file: string): string => file.split(/[\\/]/)[0] ?? '';

/** Imports that leave the project, point up a layer, or cross between peers. */
export function layerViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    const ra = LAYERS[a];
    const rb = LAYERS[b];
    if (rb === undefined) {
      out.push(`${from} -> ${to}: ${to.startsWith('..') ? 'outside the repository' : `${b}/ has no layer`}`);
    } else if (ra === undefined) {
      out.push(`${from} -> ${to}: ${a}/ has no layer`);
    } else if (rb > ra) {
      out.push(`${from} -> ${to}: ${a}/ (layer ${ra}) imports ${b}/ (layer ${rb}), which is above it`);
    } else if (rb === ra && ra !== TOP) {
      out.push(`${from} -> ${to}: ${a}/ and ${b}/ are peers (layer ${ra}) and may not import each other`);
    }
  }
  return out;
}

/** Every cycle, as the set of files that reach one another (Tarjan's strongly connected components). */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      const selfLoop = (next.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) out.push(component.sort());
    }
  };
  const nodes = new Set(edges.flatMap((e) => [e.from, e.to]));
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return out;
}
