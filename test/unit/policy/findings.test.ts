import { describe, expect, it } from 'vitest';
import {
  type AllowlistEntry,
  covers,
  criticalFindings,
  describeFinding,
  type Finding,
  judge,
  parseAllowlist,
} from '../../integration/policy/findings.ts';

const report = JSON.stringify([
  {
    type_meta: { kind: 'StatefulSet' },
    object_meta: { name: 'demo-postgres' },
    checks: [
      {
        check: {
          id: 'container-security-context-user-group-id',
          name: 'Container Security Context User Group ID',
        },
        grade: 1,
        skipped: false,
        comments: [
          { path: 'postgres', summary: 'The container is running with a low user ID' },
          { path: 'postgres', summary: 'The container running with a low group ID' },
        ],
      },
      {
        check: { id: 'container-resources', name: 'Container Resources' },
        grade: 10,
        skipped: false,
        comments: [],
      },
      { check: { id: 'pod-probes', name: 'Pod Probes' }, grade: 1, skipped: true, comments: null },
      {
        check: { id: 'deployment-replicas', name: 'Deployment Replicas' },
        grade: 5,
        skipped: false,
        comments: [],
      },
    ],
  },
  {
    type_meta: { kind: 'Deployment' },
    object_meta: { name: 'demo-ingestion-api' },
    checks: [
      {
        check: { id: 'pod-networkpolicy', name: 'Pod NetworkPolicy' },
        grade: 1,
        skipped: false,
        comments: null,
      },
    ],
  },
]);

describe('kube-score findings', () => {
  const findings = criticalFindings(report, 'render');

  it('keeps non-skipped CRITICAL checks, one per comment', () => {
    expect(findings.map(describeFinding)).toEqual([
      'render: StatefulSet demo-postgres (postgres): [container-security-context-user-group-id] The container is running with a low user ID',
      'render: StatefulSet demo-postgres (postgres): [container-security-context-user-group-id] The container running with a low group ID',
      'render: Deployment demo-ingestion-api: [pod-networkpolicy] Pod NetworkPolicy',
    ]);
  });

  it('matches allowlist entries by check, source, kind, name glob and container', () => {
    const f = findings[0] as Finding;
    const entry: AllowlistEntry = { check: f.check, why: 'x' };
    expect(covers(entry, f)).toBe(true);
    expect(covers({ ...entry, name: '*-postgres', container: 'postgres', kind: 'StatefulSet' }, f)).toBe(
      true,
    );
    expect(covers({ ...entry, name: '*-mongo' }, f)).toBe(false);
    expect(covers({ ...entry, source: 'chart' }, f)).toBe(false);
    expect(covers({ ...entry, container: 'ferretdb' }, f)).toBe(false);
    expect(covers({ ...entry, kind: 'Deployment' }, f)).toBe(false);
    expect(covers({ ...entry, name: 'demo.postgres' }, f)).toBe(false);
  });

  it('reports findings no entry covers, and entries that cover nothing', () => {
    const used: AllowlistEntry = { check: 'container-security-context-user-group-id', why: 'x' };
    const stale: AllowlistEntry = { check: 'container-image-pull-policy', why: 'x' };
    const verdict = judge(findings, [used, stale]);
    expect(verdict.unexpected.map((f) => f.check)).toEqual(['pod-networkpolicy']);
    expect(verdict.unused).toEqual([stale]);
  });

  it('refuses allowlist entries without a check or a reason', () => {
    expect(() => parseAllowlist('entries:\n  - why: because it is fine for the reasons given\n')).toThrow(
      /no check/,
    );
    expect(() => parseAllowlist('entries:\n  - check: a\n    why: ok\n')).toThrow(/say why/);
    expect(
      parseAllowlist('entries:\n  - check: a\n    why: a reason long enough to be a reason\n'),
    ).toHaveLength(1);
  });
});
