/**
 * The policy check of issue 18: kube-score (built from the Go module proxy by
 * infra/provision/kube-score.sh) over `credit-platform render` of every example CreditPipeline (with
 * and without the optional APIs) and over `helm template` of the chart. No CRITICAL finding outside
 * deploy/policy/kube-score-allowlist.yaml, whose entries each say why, and no entry that covers
 * nothing; a planted bad object shows the check really fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubeScoreVersion } from '../../../infra/components/kube.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import {
  type AllowlistEntry,
  criticalFindings,
  describeFinding,
  type Finding,
  judge,
  parseAllowlist,
  type Source,
} from './findings.ts';

const ALLOWLIST = join(repoRoot, 'deploy', 'policy', 'kube-score-allowlist.yaml');
/** The Kubernetes version the checks assume (the harness's and the kind config's minor). */
const KUBERNETES_VERSION = 'v1.34';
const work = mkdtempSync(join(tmpdir(), 'policy-'));

const examples = readdirSync(join(repoRoot, 'examples'))
  .filter((f) => /^kind: CreditPipeline$/m.test(readFileSync(join(repoRoot, 'examples', f), 'utf8')))
  .map((f) => join('examples', f));

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `kube-score score -o json` of one manifest file (exit 1 only says that something is CRITICAL). */
function kubeScore(file: string): string {
  const r = spawnSync(
    requireInfra('tools').kubeScore,
    ['score', '-o', 'json', '--kubernetes-version', KUBERNETES_VERSION, file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function findingsOf(manifests: string, source: Source, label: string): Finding[] {
  const file = join(work, `${label}.yaml`);
  writeFileSync(file, manifests);
  return criticalFindings(kubeScore(file), source);
}

const manifests: Record<string, { source: Source; yaml: string }> = {};
let allowlist: AllowlistEntry[] = [];

beforeAll(() => {
  allowlist = parseAllowlist(readFileSync(ALLOWLIST, 'utf8'));
  const files = examples.flatMap((f) => ['-f', f]);
  for (const assume of ['strimzi,prometheus-operator', 'none'])
    manifests[`render --assume ${assume}`] = {
      source: 'render',
      yaml: run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'render', ...files, '--assume', assume]),
    };
  manifests['helm template'] = {
    source: 'chart',
    yaml: run(requireInfra('tools').helm, [
      'template',
      'credit-platform',
      'charts/credit-platform',
      '--namespace',
      'credit-system',
    ]),
  };
}, 300_000);

describe('kube-score policy check', () => {
  it(`runs kube-score ${kubeScoreVersion} from the project's cache`, () => {
    expect(run(requireInfra('tools').kubeScore, ['version'])).toContain(
      `kube-score version: ${kubeScoreVersion},`,
    );
  });

  it('checks every example pipeline and the chart', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const { yaml } of Object.values(manifests)) expect(yaml).toMatch(/^kind: Deployment$/m);
  });

  it('finds no CRITICAL outside the allowlist, and every allowlist entry is still needed', () => {
    const findings = Object.entries(manifests).flatMap(([label, m]) =>
      findingsOf(m.yaml, m.source, label.replace(/\W+/g, '-')),
    );
    const verdict = judge(findings, allowlist);
    expect(verdict.unexpected.map(describeFinding)).toEqual([]);
    expect(verdict.unused).toEqual([]);
  });

  it('every allowlist entry says why; temporary entries name who is fixing them', () => {
    for (const e of allowlist) {
      expect(e.why.trim().length, e.check).toBeGreaterThan(80);
      if (e.pending !== undefined) expect(e.pending).toMatch(/^[a-z][-a-z0-9]*$/);
    }
  });

  it('fails on a planted object with new CRITICAL findings', () => {
    const planted = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'planted-bad', namespace: 'lending' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'planted-bad' } },
        template: {
          metadata: { labels: { app: 'planted-bad' } },
          spec: {
            containers: [
              { name: 'app', image: 'example.com/app:latest', securityContext: { privileged: true } },
            ],
          },
        },
      },
    };
    const base = manifests['render --assume strimzi,prometheus-operator'];
    if (base === undefined) throw new Error('no render output');
    const findings = findingsOf(`${base.yaml}---\n${stringify(planted)}`, 'render', 'planted');
    const { unexpected } = judge(findings, allowlist);
    expect(unexpected.length).toBeGreaterThan(0);
    expect(new Set(unexpected.map((f) => f.name))).toEqual(new Set(['planted-bad']));
    expect(unexpected.map((f) => f.check)).toEqual(
      expect.arrayContaining([
        'container-resources',
        'container-image-tag',
        'container-security-context-privileged',
      ]),
    );
  });
});
