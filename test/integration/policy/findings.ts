/**
 * kube-score's JSON report reduced to CRITICAL findings, and the repository's allowlist of accepted
 * ones (deploy/policy/kube-score-allowlist.yaml): every entry names a check, may narrow it to a
 * source, kind, object name (glob) or container, and must say why it is accepted. A finding no entry
 * covers fails the policy check, and so does an entry that covers nothing (the allowlist only shrinks).
 */
import { parse } from 'yaml';

/** kube-score's grades (scorecard.Grade). */
export const GRADE_CRITICAL = 1;

interface KubeScoreCheck {
  check: { id: string; name: string };
  grade: number;
  skipped: boolean;
  comments: Array<{ path: string; summary: string }> | null;
}

interface KubeScoreObject {
  type_meta: { kind: string };
  object_meta: { name: string; namespace?: string };
  checks: KubeScoreCheck[];
}

/** The manifests a finding came from: `render` output or the chart's `helm template`. */
export type Source = 'render' | 'chart';

export interface Finding {
  source: Source;
  kind: string;
  name: string;
  check: string;
  /** The container (or other sub-path) the comment is about; '' for the object itself. */
  container: string;
  summary: string;
}

export interface AllowlistEntry {
  check: string;
  source?: Source;
  kind?: string;
  /** Object name, `*` matching any characters. */
  name?: string;
  container?: string;
  /** Why the finding is accepted; required. */
  why: string;
  /** Set while another piece of work is fixing the finding (the entry is temporary). */
  pending?: string;
}

/** Every non-skipped CRITICAL check of a `kube-score score -o json` report, one per comment. */
export function criticalFindings(reportJson: string, source: Source): Finding[] {
  const report = JSON.parse(reportJson) as KubeScoreObject[];
  return report.flatMap((o) =>
    o.checks
      .filter((c) => !c.skipped && c.grade === GRADE_CRITICAL)
      .flatMap((c) => {
        const base = { source, kind: o.type_meta.kind, name: o.object_meta.name, check: c.check.id };
        const comments = c.comments ?? [];
        if (comments.length === 0) return [{ ...base, container: '', summary: c.check.name }];
        return comments.map((m) => ({ ...base, container: m.path, summary: m.summary }));
      }),
  );
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

export function covers(entry: AllowlistEntry, f: Finding): boolean {
  return (
    entry.check === f.check &&
    (entry.source === undefined || entry.source === f.source) &&
    (entry.kind === undefined || entry.kind === f.kind) &&
    (entry.name === undefined || glob(entry.name, f.name)) &&
    (entry.container === undefined || entry.container === f.container)
  );
}

/** Reads the allowlist; throws on an entry without a check or a reason. */
export function parseAllowlist(text: string): AllowlistEntry[] {
  const doc = parse(text) as { entries?: unknown } | null;
  const entries = (doc?.entries ?? []) as AllowlistEntry[];
  if (!Array.isArray(entries)) throw new Error('allowlist: `entries` must be a list');
  for (const [i, e] of entries.entries()) {
    if (typeof e?.check !== 'string' || e.check === '') throw new Error(`allowlist entry ${i}: no check`);
    if (typeof e.why !== 'string' || e.why.trim().length < 20)
      throw new Error(`allowlist entry ${i} (${e.check}): say why it is accepted`);
  }
  return entries;
}

export interface Verdict {
  /** Findings no entry covers: each fails the check. */
  unexpected: Finding[];
  /** Entries that cover no finding: stale, to be removed. */
  unused: AllowlistEntry[];
}

export function judge(findings: readonly Finding[], allowlist: readonly AllowlistEntry[]): Verdict {
  return {
    unexpected: findings.filter((f) => !allowlist.some((e) => covers(e, f))),
    unused: allowlist.filter((e) => !findings.some((f) => covers(e, f))),
  };
}

export const describeFinding = (f: Finding): string =>
  `${f.source}: ${f.kind} ${f.name}${f.container === '' ? '' : ` (${f.container})`}: [${f.check}] ${f.summary}`;
