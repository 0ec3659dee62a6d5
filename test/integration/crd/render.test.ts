/**
 * Every object the renderer produces for the example pipelines is accepted by the real API server
 * (server-side dry run) with the real Strimzi and prometheus-operator CRDs installed, in a namespace
 * that enforces and warns on the Pod Security "restricted" profile.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_VERSION, type CreditPipeline, KIND, withSpecDefaults } from '../../../api/v1alpha1.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { createNamespace, installFixtureCrds, kubectl } from '../operator/support.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ns = `render-test-${randomBytes(3).toString('hex')}`;

function example(file: string): CreditPipeline {
  const doc = parse(readFileSync(`${root}examples/${file}`, 'utf8')) as {
    metadata: { name: string };
    spec: unknown;
  };
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: doc.metadata.name, namespace: ns },
    spec: withSpecDefaults(doc.spec),
  };
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

describe('rendered children on the real API server', () => {
  it.each(['creditpipeline.yaml', 'creditpipeline-minimal.yaml', 'creditpipeline-external.yaml'])(
    'accepts every child of examples/%s (server-side dry run), with no Pod Security warning',
    (file) => {
      const objs = renderCreditPipeline(example(file), {
        strimzi: true,
        monitoring: true,
        operatorImage: 'ghcr.io/creditplatform/credit-platform:0.1.0',
        dashboards: { 'fraud-operations.json': '{"uid":"fraud-operations"}' },
      });
      const kinds = new Set(objs.map((o) => o.kind));
      const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs });
      const r = kubectl(
        ['apply', '--server-side', '--dry-run=server', '--field-manager', 'crd-test', '-f', '-'],
        list,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/would violate PodSecurity/);
      expect(r.stdout.trim().split('\n')).toHaveLength(objs.length);
      if (file === 'creditpipeline.yaml')
        for (const k of [
          'KafkaTopic',
          'ServiceMonitor',
          'PrometheusRule',
          'StatefulSet',
          'CronJob',
          'Job',
          'NetworkPolicy',
        ])
          expect(kinds.has(k), k).toBe(true);
    },
  );

  it('would see a Pod Security warning for a template that breaks the profile (control)', () => {
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'privileged-control', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } },
      },
    };
    const r = kubectl(
      ['apply', '--server-side', '--dry-run=server', '--field-manager', 'crd-test', '-f', '-'],
      JSON.stringify(bad),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/would violate PodSecurity "restricted/);
  });

  it('accepts a Pod from every pod template under the restricted profile (enforced)', () => {
    const objs = renderCreditPipeline(example('creditpipeline.yaml'), {
      strimzi: true,
      monitoring: true,
      operatorImage: 'ghcr.io/creditplatform/credit-platform:0.1.0',
    });
    let pods = 0;
    for (const o of objs) {
      const spec = o.spec as Record<string, unknown> | undefined;
      const template =
        o.kind === 'CronJob'
          ? ((spec?.jobTemplate as { spec: { template: unknown } } | undefined)?.spec.template as {
              spec: unknown;
            })
          : ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)
            ? (spec?.template as { spec: unknown })
            : undefined;
      if (template === undefined) continue;
      // A StatefulSet's claims become volumes of its pods; stand in with emptyDirs.
      const claims = ((spec?.volumeClaimTemplates as Array<{ metadata: { name: string } }>) ?? []).map(
        (c) => ({
          name: c.metadata.name,
          emptyDir: {},
        }),
      );
      const podSpec = template.spec as { volumes?: unknown[] };
      template.spec = { ...podSpec, volumes: [...(podSpec.volumes ?? []), ...claims] };
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${o.metadata.name}-probe`.slice(0, 63), namespace: ns },
        spec: template.spec,
      };
      const r = kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
      expect(r.status, `${o.kind}/${o.metadata.name}: ${r.stderr}`).toBe(0);
      pods++;
    }
    expect(pods).toBe(8); // + the decision service
  });
});
