/**
 * The Helm chart with the real helm and kube-apiserver: lint is clean, both namespace scopes render,
 * RBAC has no wildcards and covers exactly what the renderer produces, and the API server accepts
 * the rendered objects (server-side dry run).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND, withSpecDefaults } from '../../../api/v1alpha1.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { createNamespace, helm, installFixtureCrds, kubectl } from '../operator/support.ts';

const chart = fileURLToPath(new URL('../../../charts/credit-platform', import.meta.url));
const ns = `chart-test-${randomBytes(3).toString('hex')}`;

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  [k: string]: unknown;
}

interface PodSpec {
  containers: Array<{
    name: string;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    livenessProbe?: unknown;
    readinessProbe?: unknown;
  }>;
  affinity?: unknown;
}

function template(values: string[] = []): Obj[] {
  const r = helm(['template', 'cp', chart, '--namespace', ns, ...values.flatMap((v) => ['--set', v])]);
  if (r.status !== 0) throw new Error(r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** Plural resource and group of each kind the renderer produces. */
const RESOURCE: Record<string, [string, string]> = {
  Secret: ['', 'secrets'],
  ConfigMap: ['', 'configmaps'],
  Service: ['', 'services'],
  ServiceAccount: ['', 'serviceaccounts'],
  Deployment: ['apps', 'deployments'],
  StatefulSet: ['apps', 'statefulsets'],
  Job: ['batch', 'jobs'],
  CronJob: ['batch', 'cronjobs'],
  PodDisruptionBudget: ['policy', 'poddisruptionbudgets'],
  NetworkPolicy: ['networking.k8s.io', 'networkpolicies'],
  KafkaTopic: ['kafka.strimzi.io', 'kafkatopics'],
  ServiceMonitor: ['monitoring.coreos.com', 'servicemonitors'],
  PrometheusRule: ['monitoring.coreos.com', 'prometheusrules'],
};

function allows(rules: NonNullable<Obj['rules']>, group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
  );
}

const MONITORING_APIS = [
  '--api-versions',
  'monitoring.coreos.com/v1/ServiceMonitor',
  '--api-versions',
  'monitoring.coreos.com/v1/PrometheusRule',
];

beforeAll(() => {
  // The real prometheus-operator CRDs, so the dry run validates the chart's ServiceMonitor and PrometheusRule.
  installFixtureCrds();
  createNamespace(ns);
});
afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('credit-platform chart', () => {
  it('passes helm lint (strict)', () => {
    const r = helm(['lint', '--strict', chart]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  it('rejects values the schema does not allow', () => {
    const r = helm(['template', 'cp', chart, '--set', 'replicaCount=0']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('replicaCount');
  });

  it('renders a ClusterRole cluster-wide and Roles per watched namespace, never with wildcards', () => {
    const operatorRoles = (objs: Obj[]) =>
      objs.filter((o) => o.kind === 'ClusterRole' && o.metadata.name === 'cp-credit-platform-operator');
    const clusterWide = template();
    expect(operatorRoles(clusterWide)).toHaveLength(1);
    const scoped = template(['watchNamespaces={team-a,team-b}']);
    expect(operatorRoles(scoped)).toHaveLength(0);
    // The fraud-operations roles people are granted (bound per namespace) come with either mode.
    expect(
      clusterWide
        .filter((o) => o.kind === 'ClusterRole' && o.metadata.name !== 'cp-credit-platform-operator')
        .map((o) => [o.metadata.name, o.rules?.[0]?.verbs]),
    ).toEqual([
      ['cp-credit-platform-operator-case-analyst', ['get', 'list', 'update', 'resolve']],
      ['cp-credit-platform-operator-case-lead', ['get', 'list', 'update', 'resolve', 'assign']],
    ]);
    const roles = scoped
      .filter((o) => o.kind === 'Role')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(roles).toEqual(
      expect.arrayContaining([
        'team-a/cp-credit-platform-operator',
        'team-b/cp-credit-platform-operator',
        `${ns}/cp-credit-platform-operator-leader-election`,
      ]),
    );
    for (const o of [...clusterWide, ...scoped])
      for (const rule of o.rules ?? [])
        for (const field of [rule.apiGroups, rule.resources, rule.verbs]) expect(field).not.toContain('*');
  });

  it('grants exactly the verbs the operator needs on every kind the renderer produces', () => {
    const role = template().find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'cp-credit-platform-operator',
    ) as Obj;
    const rules = role.rules ?? [];
    const cp = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: 'rbac', namespace: 'x' },
      spec: withSpecDefaults({
        kafka: { strimziCluster: 'k' },
        fraudDetector: { rules: { inline: { r: 1 } } },
        cases: { enabled: true },
        alerting: { webhooks: [{ name: 'chat', url: 'https://hooks.example.com/x', format: 'slack' }] },
      }),
    } as const;
    const kinds = new Set(
      renderCreditPipeline(cp, {
        strimzi: true,
        monitoring: true,
        operatorImage: 'x/y:1',
        dashboards: { 'a.json': '{}' },
      }).map((o) => o.kind),
    );
    for (const kind of kinds) {
      const gr = RESOURCE[kind];
      expect(gr, `RBAC mapping for ${kind}`).toBeDefined();
      const [group, resource] = gr as [string, string];
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
        expect(allows(rules, group, resource, verb), `${verb} ${resource}`).toBe(true);
    }
    expect(allows(rules, 'creditplatform.dev', 'creditpipelines/status', 'patch')).toBe(true);
    expect(allows(rules, 'creditplatform.dev', 'creditpipelines/finalizers', 'update')).toBe(true);
    expect(allows(rules, 'creditplatform.dev', 'creditpipelines', 'delete')).toBe(false);
    expect(allows(rules, '', 'pods', 'get')).toBe(false);
    expect(allows(rules, '', 'secrets', 'deletecollection')).toBe(false);
  });

  it('labels every object through the one helper and runs the operator as a restricted pod', () => {
    const objs = template();
    for (const o of objs) {
      expect(o.metadata.labels?.['app.kubernetes.io/name'], `${o.kind}/${o.metadata.name}`).toBe(
        'credit-platform',
      );
      expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('cp');
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    }
    const dep = objs.find((o) => o.kind === 'Deployment') as Obj & {
      spec: {
        template: {
          spec: { containers: Array<{ securityContext: Record<string, unknown>; command: string[] }> };
        };
      };
    };
    const c = dep.spec.template.spec.containers[0];
    expect(c?.command).toEqual(['node', 'dist/cli/main.js', 'operator']);
    expect(c?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('bounds ephemeral storage and separates liveness from readiness in the operator and test pods', () => {
    const objs = template();
    const pods = objs.flatMap((o) => {
      if (o.kind === 'Pod') return [o.spec as PodSpec];
      if (o.kind === 'Deployment') return [(o.spec as { template: { spec: PodSpec } }).template.spec];
      return [];
    });
    expect(pods).toHaveLength(2);
    for (const c of pods.flatMap((p) => p.containers)) {
      expect(c.resources.requests['ephemeral-storage'], c.name).toBeDefined();
      expect(c.resources.limits['ephemeral-storage'], c.name).toBeDefined();
    }
    const operator = pods[0]?.containers[0];
    expect(operator?.livenessProbe).not.toEqual(operator?.readinessProbe);
    const bad = helm(['template', 'cp', chart, '--set', 'resources.limits.ephemeral-storage=null']);
    expect(bad.status).not.toBe(0);
  });

  it('adds a PodDisruptionBudget and host anti-affinity only when there is more than one operator replica', () => {
    const affinity = (objs: Obj[]) => {
      const dep = objs.find((o) => o.kind === 'Deployment') as Obj & {
        spec: { template: { spec: PodSpec } };
      };
      return dep.spec.template.spec.affinity;
    };
    const two = template(['replicaCount=2']);
    expect(two.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.spec)).toEqual([
      {
        maxUnavailable: 1,
        selector: {
          matchLabels: {
            'app.kubernetes.io/name': 'credit-platform',
            'app.kubernetes.io/instance': 'cp',
            'app.kubernetes.io/component': 'operator',
          },
        },
      },
    ]);
    expect(affinity(two)).toMatchObject({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } },
        ],
      },
    });
    expect(affinity(template(['replicaCount=3', 'podAntiAffinity=hard']))).toMatchObject({
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }],
      },
    });
    const one = template(['replicaCount=1']);
    expect(one.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(affinity(one)).toBeUndefined();
    expect(
      template(['replicaCount=2', 'podDisruptionBudget.enabled=false']).some(
        (o) => o.kind === 'PodDisruptionBudget',
      ),
    ).toBe(false);
  });

  it('skips ServiceMonitor and PrometheusRule without the prometheus-operator API and renders them with it', () => {
    expect(template().some((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule')).toBe(false);
    const r = helm([
      'template',
      'cp',
      chart,
      '--namespace',
      ns,
      ...MONITORING_APIS,
      '--set',
      'monitoringLabels.release=kps',
    ]);
    const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    const rule = objs.find((o) => o.kind === 'PrometheusRule') as Obj & {
      spec: { groups: Array<{ rules: Array<{ alert: string }> }> };
    };
    expect(objs.find((o) => o.kind === 'ServiceMonitor')?.metadata.labels?.release).toBe('kps');
    expect(rule.metadata.labels?.release).toBe('kps');
    expect(rule.spec.groups.flatMap((g) => g.rules.map((x) => x.alert))).toContain('OperatorReconcileErrors');
  });

  it('renders objects the API server accepts (server-side dry run, restricted namespace)', () => {
    expect(
      kubectl([
        'label',
        'namespace',
        ns,
        'pod-security.kubernetes.io/enforce=restricted',
        'pod-security.kubernetes.io/warn=restricted',
      ]).status,
    ).toBe(0);
    const r = helm([
      'template',
      'cp',
      chart,
      '--namespace',
      ns,
      ...MONITORING_APIS,
      '--set',
      `watchNamespaces={${ns}}`,
      '--set',
      'replicaCount=2',
      '--set',
      'networkPolicy.apiServer.cidrs={10.0.0.0/24}',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const applied = kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], r.stdout);
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stderr).not.toContain('would violate PodSecurity');
    expect(applied.stdout).toMatch(
      /prometheusrule\.monitoring\.coreos\.com\/cp-credit-platform-operator .*\(server dry run\)/,
    );
  });
});
