/** The HTML report's building blocks: escaping, tables and inline-SVG bar charts (no scripts, no assets). */
import type { Count } from './summary.ts';

export const esc = (s: string | number): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const num = (x: number | null, digits = 0): string => (x === null ? 'n/a' : x.toFixed(digits));

/** Horizontal bar chart. */
export function barChart(title: string, data: readonly Count[], color = '#3b6ea5'): string {
  const rowH = 22;
  // Wide enough for the longest label (about 7 px per character at 12 px sans-serif), so none is cut.
  const longest = Math.max(0, ...data.map((d) => d.label.length));
  const labelW = Math.min(480, Math.max(80, longest * 7 + 12));
  const barW = 360;
  const max = Math.max(1, ...data.map((d) => d.count));
  const h = rowH * data.length + 30;
  const rows = data
    .map((d, i) => {
      const y = 24 + i * rowH;
      const w = Math.max(1, Math.round((d.count / max) * barW));
      return `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(d.label)}</text><rect x="${labelW}" y="${y + 2}" width="${w}" height="${rowH - 6}" fill="${color}"/><text x="${labelW + w + 6}" y="${y + 14}">${d.count}</text>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="${esc(title)}" width="${labelW + barW + 80}" height="${h}" font-family="sans-serif" font-size="12"><text x="0" y="14" font-weight="bold">${esc(title)}</text>${rows}</svg></figure>`;
}

/** Check results stand out: green pass, red FAIL. */
const RESULT_CLASS: Readonly<Record<string, string>> = { pass: ' class="ok"', FAIL: ' class="bad"' };

export function table(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td${RESULT_CLASS[String(c)] ?? ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
