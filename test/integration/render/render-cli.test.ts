/**
 * `credit-platform render` (the subcommand, as a process) over every example CreditPipeline, with
 * both optional-API assumptions: the printed YAML is accepted by the harness API server
 * (`kubectl apply --dry-run=server`, the Strimzi and prometheus-operator CRDs installed) in a
 * namespace that enforces Pod Security "restricted".
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KAFKA_TOPIC, PROMETHEUS_RULE, SERVICE_MONITOR } from '../../../api/gvk.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { createNamespace, installFixtureCrds, kubectl } from '../operator/support.ts';

const ns = `render-cli-${randomBytes(3).toString('hex')}`;

/** Every example file that holds a CreditPipeline (what `make render` renders). */
const examples = readdirSync(join(repoRoot, 'examples')).filter((f) =>
  /^kind: CreditPipeline$/m.test(readFileSync(join(repoRoot, 'examples', f), 'utf8')),
);

/** The example with its pipelines moved into the test namespace, as render's standard input. */
function inNamespace(file: string): string {
  return parseAllDocuments(readFileSync(join(repoRoot, 'examples', file), 'utf8'))
    .map((d) => {
      const o = d.toJS() as { kind?: string; metadata?: Record<string, unknown> };
      if (o.kind === 'CreditPipeline' && o.metadata !== undefined) o.metadata.namespace = ns;
      return JSON.stringify(o);
    })
    .join('\n---\n');
}

function render(file: string, assume: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', 'cli/main.ts', 'render', '-f', '-', '--assume', assume],
    { cwd: repoRoot, input: inNamespace(file), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

beforeAll(() => {
  installFixtureCrds();
  createNamespace(ns, {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/warn': 'restricted',
  });
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('credit-platform render', () => {
  it('finds the example pipelines', () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        'creditpipeline.yaml',
        'creditpipeline-minimal.yaml',
        'creditpipeline-external.yaml',
      ]),
    );
  });

  const cases = examples.flatMap((f) => [
    { file: f, assume: 'strimzi,prometheus-operator' },
    { file: f, assume: 'none' },
  ]);

  it.each(cases)(
    'prints objects the API server accepts for examples/$file (--assume $assume)',
    { timeout: 180_000 },
    ({ file, assume }) => {
      const r = render(file, assume);
      expect(r.status, r.stderr).toBe(0);
      const objects = parseAllDocuments(r.stdout).map(
        (d) => d.toJS() as { apiVersion: string; kind: string; metadata: Record<string, unknown> },
      );
      expect(objects.length).toBeGreaterThan(5);
      for (const o of objects) {
        expect(o.metadata.namespace).toBe(ns);
        expect(o.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'CreditPipeline', controller: true }),
        ]);
        expect(o.metadata.annotations).toHaveProperty(['creditplatform.dev/applied-hash']);
      }
      const optional = objects.filter((o) =>
        [KAFKA_TOPIC, SERVICE_MONITOR, PROMETHEUS_RULE].some(
          (g) => g.kind === o.kind && g.apiVersion === o.apiVersion,
        ),
      );
      if (assume === 'none') expect(optional).toEqual([]);
      else if (file === 'creditpipeline.yaml')
        expect(new Set(optional.map((o) => o.kind))).toEqual(
          new Set(['KafkaTopic', 'ServiceMonitor', 'PrometheusRule']),
        );
      const secrets = objects.filter((o) => o.kind === 'Secret') as unknown as Array<{
        data: Record<string, string>;
      }>;
      // Generated values are placeholders (the operator generates them when it applies).
      for (const s of secrets)
        expect(Object.values(s.data).map((v) => Buffer.from(v, 'base64').toString())).toContainEqual(
          expect.stringContaining('placeholder-generated-by-the-operator'),
        );
      const applied = kubectl(
        ['apply', '--server-side', '--dry-run=server', '--field-manager', 'render-test', '-f', '-'],
        r.stdout,
      );
      expect(applied.status, applied.stderr).toBe(0);
      expect(applied.stderr).not.toMatch(/would violate PodSecurity/);
      expect(applied.stdout.trim().split('\n')).toHaveLength(objects.length);
    },
  );
});
