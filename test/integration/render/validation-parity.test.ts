/**
 * `credit-platform render` refuses an invalid CreditPipeline with the errors the API server gives:
 * for a table of invalid pipelines (schema violations, and every CEL rule of the CRD), the lines
 * render prints equal the API server's Status causes (field path and message), and undeclared
 * fields are named as strict field validation names them.
 */

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../../api/v1alpha1.ts';
import { CRD_PATHS } from '../../../cdk8s/crd.ts';
import { creditPipelineValidator, validatePipeline } from '../../../cli/render/validate.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import type { StructuralSchema } from '../../../lib/crd-validation/index.ts';
import { createNamespace, kubectl, kubectlOk, waitCrdsEstablished } from '../operator/support.ts';
import { createVerdict } from './apiserver-verdict.ts';
import { INVALID_PIPELINES } from './invalid-pipelines.ts';

const ns = `render-parity-${randomBytes(3).toString('hex')}`;
const path = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`;

const doc = (name: string, spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name, namespace: ns },
  ...(spec === undefined ? {} : { spec }),
  ...extra,
});

/** What the API server says, as render words it: unknown fields first (strict decoding), else causes. */
async function apiServerLines(object: unknown): Promise<string[]> {
  const v = await createVerdict(path, object);
  if (v.code === 201 || v.code === 200) return [];
  if (v.unknownFields.length > 0)
    return v.unknownFields.map((f) => `${f}: unknown field ${JSON.stringify(f)}`);
  if (v.code !== 422) throw new Error(`unexpected answer ${v.code}: ${v.message}`);
  return v.causes;
}

function renderLines(object: unknown): string[] {
  const r = validatePipeline(object, ns);
  return r.ok ? [] : r.errors;
}

beforeAll(() => {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, CRD_PATHS[0])]);
  waitCrdsEstablished([`${PLURAL}.${GROUP}`]);
  createNamespace(ns);
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('render validates a CreditPipeline as the API server does', () => {
  const seen: string[] = [];

  it.each(INVALID_PIPELINES)('$what', async ({ name, spec, extra }) => {
    const object = doc(name ?? `bad-${randomBytes(3).toString('hex')}`, spec, extra);
    const expected = (await apiServerLines(object)).sort();
    expect(expected.length, 'the API server accepted a case of the invalid table').toBeGreaterThan(0);
    expect(renderLines(object).sort()).toEqual(expected);
    seen.push(...expected);
  });

  it('the table exercises every CEL rule of the CRD (transition rules run on updates only)', () => {
    const messages = new Set<string>();
    const walk = (s: StructuralSchema) => {
      for (const r of s['x-kubernetes-validations'] ?? [])
        if (!/\boldSelf\b/.test(r.rule)) messages.add(r.message ?? r.rule);
      for (const p of Object.values(s.properties ?? {})) walk(p);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties);
      if (s.items !== undefined) walk(s.items);
    };
    walk(creditPipelineValidator().schema);
    const missing = [...messages].filter((m) => !seen.some((line) => line.includes(m)));
    expect(missing).toEqual([]);
  });

  it('accepts what the API server accepts: the examples', async () => {
    for (const file of [
      'creditpipeline.yaml',
      'creditpipeline-minimal.yaml',
      'creditpipeline-external.yaml',
    ]) {
      const text = kubectlOk([
        'create',
        '--dry-run=client',
        '-o',
        'json',
        '-f',
        join(repoRoot, 'examples', file),
      ]);
      const object = { ...(JSON.parse(text) as Record<string, unknown>) };
      (object.metadata as Record<string, unknown>).namespace = ns;
      expect(await apiServerLines(object), file).toEqual([]);
      expect(renderLines(object), file).toEqual([]);
    }
  });

  it('the render subcommand exits 1 and prints the errors for an invalid file', { timeout: 120_000 }, () => {
    const file = join(tmpdir(), `render-invalid-${randomBytes(3).toString('hex')}.yaml`);
    writeFileSync(file, JSON.stringify(doc('broken', { kafka: { strimziCluster: 'k', sasl: 'plain' } })));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'render', '-f', file], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('CreditPipeline "broken" is invalid');
    expect(r.stderr).toContain(
      '* spec.kafka.authSecretRef: Required value: sasl requires authSecretRef with username and password',
    );
  });
});
