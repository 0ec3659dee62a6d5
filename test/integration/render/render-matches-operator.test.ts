/**
 * What `credit-platform render` prints is what the operator applies: the operator reconciles an
 * example pipeline on the harness API server, and render, given the stored pipeline (uid included),
 * prints the same children, each with the same applied-hash (the hash of the whole object as
 * applied), except the generated Secrets, whose values render leaves as placeholders.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CRD_PATHS } from '../../../cdk8s/crd.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { HASH_ANNOTATION } from '../../../operator/reconcile/ownership.ts';
import {
  createNamespace,
  installFixtureCrds,
  kubectl,
  kubectlOk,
  type OperatorProcess,
  startOperator,
  uniqueName,
  waitFor,
} from '../operator/support.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const ns = uniqueName('render-op');
const KINDS =
  'configmaps,secrets,services,deployments,statefulsets,cronjobs,jobs,networkpolicies,poddisruptionbudgets,kafkatopics,servicemonitors,prometheusrules';
let operator: OperatorProcess | undefined;

const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;

function liveChildren(pipeline: string): Obj[] {
  const out = kubectlOk([
    'get',
    KINDS,
    '-n',
    ns,
    '-l',
    `creditplatform.dev/pipeline=${pipeline}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: Obj[] }).items;
}

beforeAll(async () => {
  installFixtureCrds();
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, CRD_PATHS[0])]);
  createNamespace(ns);
  operator = await startOperator(`render-op-${ns}`, {
    KUBECONFIG: requireInfra('kube').kubeconfig,
    WATCH_NAMESPACES: ns,
    LEASE_NAMESPACE: ns,
    POD_NAME: 'render-op',
    READINESS_MODE: 'applied',
  });
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('render and the operator', () => {
  it.each(['creditpipeline.yaml', 'creditpipeline-minimal.yaml'])(
    'print and apply the same children for examples/%s',
    { timeout: 300_000 },
    async (file) => {
      const doc = parse(readFileSync(join(repoRoot, 'examples', file), 'utf8')) as {
        metadata: { name: string; namespace?: string };
      };
      doc.metadata.namespace = ns;
      kubectlOk(['apply', '-f', '-'], JSON.stringify(doc));
      const name = doc.metadata.name;
      // The stored pipeline (defaults applied, uid set) is what both the operator and render read.
      const stored = kubectlOk(['get', 'creditpipeline', name, '-n', ns, '-o', 'json']);
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'render', '-f', '-'], {
        cwd: repoRoot,
        input: stored,
        encoding: 'utf8',
        env: { ...process.env, OPERATOR_IMAGE: '' },
      });
      expect(r.status, r.stderr).toBe(0);
      const rendered = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
      const expectedKeys = rendered.map(key).sort();

      const live = await waitFor(
        `the operator to apply the ${expectedKeys.length} children of ${name}`,
        async () => {
          const objs = liveChildren(name);
          return objs.length >= expectedKeys.length ? objs : undefined;
        },
        240_000,
        1000,
      );
      expect(live.map(key).sort()).toEqual(expectedKeys);
      const byKey = new Map(live.map((o) => [key(o), o]));
      for (const o of rendered) {
        const applied = byKey.get(key(o)) as Obj;
        if (o.kind === 'Secret') {
          expect(Object.keys(applied.data ?? {}).sort(), key(o)).toEqual(Object.keys(o.data ?? {}).sort());
          continue;
        }
        expect(applied.metadata.annotations?.[HASH_ANNOTATION], key(o)).toBe(
          o.metadata.annotations?.[HASH_ANNOTATION],
        );
      }
    },
  );
});
