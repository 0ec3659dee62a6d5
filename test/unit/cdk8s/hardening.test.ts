/**
 * What a security review checks on every rendered pod (issue 18): ephemeral-storage requests and
 * limits, separate liveness and readiness, the managed stores' user and group ids, host
 * anti-affinity and topology spread of Deployments, PodDisruptionBudgets where there is more than
 * one replica. All settable in the CreditPipeline.
 */
import { describe, expect, it } from 'vitest';
import { PORTS } from '../../../api/env.ts';
import { STORE_IMAGE_IDS } from '../../../api/v1alpha1.ts';
import type { KubeObject } from '../../../cdk8s/options.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { HOSTNAME_KEY } from '../../../cdk8s/workload.ts';
import { example, options, pipeline } from './fixtures.ts';

type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
};
type PodSpec = {
  containers: Container[];
  securityContext: Record<string, unknown>;
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Record<string, unknown>[];
};

const find = (objs: KubeObject[], kind: string, name: string): KubeObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind}/${name}`);
  return o;
};
const podOf = (o: KubeObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;

const base = { kafka: { strimziCluster: 'k' } };

describe('ephemeral storage', () => {
  it('defaults every container of the demo to a 64Mi request and a 256Mi limit', () => {
    const objs = renderCreditPipeline(example('creditpipeline.yaml'), options());
    const pods = objs.flatMap((o) => {
      const spec = o.spec as Record<string, unknown> | undefined;
      if (o.kind === 'CronJob')
        return [
          (spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec,
        ];
      return ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) ? [podOf(o)] : [];
    });
    expect(pods.length).toBeGreaterThanOrEqual(7);
    for (const c of pods.flatMap((p) => p.containers)) {
      expect(c.resources.requests['ephemeral-storage'], c.name).toBe('64Mi');
      expect(c.resources.limits['ephemeral-storage'], c.name).toBe('256Mi');
    }
  });

  it('takes each component’s ephemeral storage from its resources', () => {
    const cp = pipeline('eph', {
      ...base,
      ingestionApi: {
        resources: { requests: { ephemeralStorage: '100Mi' }, limits: { ephemeralStorage: '1Gi' } },
      },
      storage: {
        postgres: { managed: { resources: { limits: { ephemeralStorage: '2Gi' } } } },
        mongo: { managed: { resources: { requests: { ephemeralStorage: '32Mi' } } } },
      },
    });
    const objs = renderCreditPipeline(cp, options());
    const res = (kind: string, name: string) => podOf(find(objs, kind, name)).containers[0]?.resources;
    expect(res('Deployment', 'eph-ingestion-api')).toMatchObject({
      requests: { 'ephemeral-storage': '100Mi' },
      limits: { 'ephemeral-storage': '1Gi' },
    });
    expect(res('StatefulSet', 'eph-postgres')?.limits['ephemeral-storage']).toBe('2Gi');
    expect(res('StatefulSet', 'eph-mongo')?.requests['ephemeral-storage']).toBe('32Mi');
    // The migration Job runs with the loader's resources.
    const job = objs.find((o) => o.kind === 'Job');
    expect(job && podOf(job).containers[0]?.resources.requests['ephemeral-storage']).toBe('64Mi');
  });
});

describe('managed FerretDB probes', () => {
  const objs = renderCreditPipeline(example('creditpipeline.yaml'), options());
  const c = podOf(find(objs, 'StatefulSet', 'demo-mongo')).containers[0] as Container;

  it('uses /debug/livez for liveness and startup and /debug/readyz for readiness, on the debug port', () => {
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/debug/livez', port: 'metrics' } });
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/debug/livez', port: 'metrics' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/debug/readyz', port: 'metrics' } });
    expect(c.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(PORTS.ferretdbDebug);
    // The debug handler listens on every interface (its default is loopback, which a kubelet cannot reach).
    expect(c.env?.find((e) => e.name === 'FERRETDB_DEBUG_ADDR')?.value).toBe(`:${PORTS.ferretdbDebug}`);
  });

  it('takes a slow store out of rotation well before it is restarted', () => {
    const window = (p: Record<string, unknown> | undefined) =>
      Number(p?.periodSeconds ?? 10) * Number(p?.failureThreshold ?? 3);
    expect(window(c.readinessProbe)).toBeLessThan(window(c.livenessProbe));
  });
});

describe('managed store user and group ids', () => {
  it('defaults to the upstream images’ ids, with fsGroup equal to the group', () => {
    const objs = renderCreditPipeline(example('creditpipeline.yaml'), options());
    expect(podOf(find(objs, 'StatefulSet', 'demo-postgres')).securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: STORE_IMAGE_IDS.postgres.uid,
      runAsGroup: STORE_IMAGE_IDS.postgres.gid,
      fsGroup: STORE_IMAGE_IDS.postgres.gid,
    });
    expect(podOf(find(objs, 'StatefulSet', 'demo-mongo')).securityContext).toMatchObject({
      runAsUser: STORE_IMAGE_IDS.mongo.uid,
      fsGroup: STORE_IMAGE_IDS.mongo.gid,
    });
  });

  it('runs each store as the ids its spec sets', () => {
    const high = { runAsUser: 10001, runAsGroup: 10002, fsGroup: 10003 };
    const cp = pipeline('ids', {
      ...base,
      storage: {
        postgres: { managed: { securityContext: high } },
        mongo: { managed: { securityContext: high } },
      },
    });
    const objs = renderCreditPipeline(cp, options());
    for (const name of ['ids-postgres', 'ids-mongo']) {
      expect(podOf(find(objs, 'StatefulSet', name)).securityContext).toMatchObject(high);
    }
  });
});

describe('placement of Deployment replicas', () => {
  it('spreads every Deployment over hosts (preferred) and zones (soft) by default', () => {
    const objs = renderCreditPipeline(example('creditpipeline.yaml'), options());
    const deployments = objs.filter((o) => o.kind === 'Deployment');
    expect(deployments.length).toBeGreaterThanOrEqual(3);
    for (const d of deployments) {
      const selector = (d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const pod = podOf(d);
      expect(pod.affinity, d.metadata.name).toEqual({
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: { topologyKey: HOSTNAME_KEY, labelSelector: { matchLabels: selector } },
            },
          ],
        },
      });
      expect(pod.topologySpreadConstraints, d.metadata.name).toEqual([
        {
          topologyKey: 'topology.kubernetes.io/zone',
          maxSkew: 1,
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selector },
        },
      ]);
    }
  });

  it('follows spec.scheduling: required host anti-affinity, another key, or none', () => {
    const required = renderCreditPipeline(
      pipeline('req', {
        ...base,
        scheduling: {
          podAntiAffinity: 'required',
          topologySpread: { topologyKey: 'example.com/rack', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 2 },
        },
      }),
      options(),
    );
    const pod = podOf(find(required, 'Deployment', 'req-ingestion-api'));
    expect(pod.affinity).toMatchObject({
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME_KEY }] },
    });
    expect(pod.topologySpreadConstraints).toMatchObject([
      { topologyKey: 'example.com/rack', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 2 },
    ]);
    const none = renderCreditPipeline(
      pipeline('none', {
        ...base,
        scheduling: { podAntiAffinity: 'none', topologySpread: { enabled: false } },
      }),
      options(),
    );
    const plain = podOf(find(none, 'Deployment', 'none-fraud-detector'));
    expect(plain.affinity).toBeUndefined();
    expect(plain.topologySpreadConstraints).toBeUndefined();
  });

  it('adds a PodDisruptionBudget to each Deployment with more than one replica, and only those', () => {
    const cp = pipeline('pdb', {
      ...base,
      ingestionApi: { replicas: 3 },
      fraudDetector: { replicas: 1 },
      warehouseLoader: { replicas: 2 },
    });
    const pdbs = renderCreditPipeline(cp, options()).filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs.map((p) => p.metadata.name).sort()).toEqual(['pdb-ingestion-api', 'pdb-warehouse-loader']);
    for (const p of pdbs) expect((p.spec as { maxUnavailable: number }).maxUnavailable).toBe(1);
  });
});
