import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  AuthenticationV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../infra/lib/state.ts';

const info = requireInfra('kube');
const suffix = randomBytes(4).toString('hex');
const namespace = `smoke-kube-${suffix}`;

function adminConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  return kc;
}

/** A client that authenticates with a bearer token only (no client certificate). */
function tokenConfig(token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'harness',
        server: info.server,
        caData: readFileSync(join(info.pkiDir, 'ca.crt')).toString('base64'),
      },
    ],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'harness', user: 'sa', namespace }],
    currentContext: 'sa',
  });
  return kc;
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('harness Kubernetes control plane', () => {
  const kc = adminConfig();
  const core = kc.makeApiClient(CoreV1Api);

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await statusOf(core.deleteNamespace({ name: namespace }));
  });

  it('reports the version it was built as on /version', async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe('v1.34.4');
    expect(v.major).toBe('1');
    expect(v.minor).toBe('34');
    expect(info.version).toBe('v1.34.4');
  });

  it('serves a new CRD: custom objects are stored and validated against its schema', async () => {
    const group = `smoke-${suffix}.creditplatform.test`;
    const crdName = `widgets.${group}`;
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: { size: { type: 'integer', minimum: 1 } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await eventually('the CRD to be Established', async () => {
        const crd = await ext.readCustomResourceDefinition({ name: crdName });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? true
          : undefined;
      });
      const custom = kc.makeApiClient(CustomObjectsApi);
      const target = { group, version: 'v1', namespace, plural: 'widgets' };
      // Discovery of a fresh CRD can lag its Established condition by a moment.
      await eventually('the custom object to be created', async () => {
        const code = await statusOf(
          custom.createNamespacedCustomObject({
            ...target,
            body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
          }),
        );
        if (code === 404) return undefined;
        expect(code).toBe(200);
        return true;
      });
      const read = (await custom.getNamespacedCustomObject({ ...target, name: 'w1' })) as {
        spec: { size: number };
      };
      expect(read.spec.size).toBe(3);

      const invalid = custom.createNamespacedCustomObject({
        ...target,
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 0 } },
      });
      expect(await statusOf(invalid)).toBe(422);
    } finally {
      await statusOf(ext.deleteCustomResourceDefinition({ name: crdName }));
    }
  });

  it('authenticates a TokenRequest token and refuses (403) what no Role grants, until a Role does', async () => {
    const sa = 'no-rights';
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
    const tr = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    expect(token).toBeTruthy();
    const asSa = tokenConfig(token as string);

    // The token is valid: the apiserver knows who is asking.
    const review = await asSa.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${namespace}:${sa}`);

    const saCore = asSa.makeApiClient(CoreV1Api);
    expect(await statusOf(saCore.listNamespacedConfigMap({ namespace }))).toBe(403);
    expect(await statusOf(saCore.listNamespace())).toBe(403);

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'read-configmaps' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'read-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
      },
    });
    await eventually('the RoleBinding to take effect', async () =>
      (await statusOf(saCore.listNamespacedConfigMap({ namespace }))) === 200 ? true : undefined,
    );
    // Still nothing beyond the Role: cluster-wide lists stay forbidden.
    expect(await statusOf(saCore.listNamespace())).toBe(403);
  });

  it('garbage-collects a ConfigMap whose owner is deleted (controller-manager)', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid as string },
          ],
        },
        data: { role: 'dependent' },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace, propagationPolicy: 'Background' });
    await eventually('the garbage collector to delete the dependent', async () =>
      (await statusOf(core.readNamespacedConfigMap({ name: 'dependent', namespace }))) === 404
        ? true
        : undefined,
    );
  });

  it('deletes a namespace with its contents (namespace controller)', async () => {
    const doomed = `smoke-kube-doomed-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: doomed } } });
    await core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'c' } } });
    await core.deleteNamespace({ name: doomed });
    await eventually('the namespace to be gone', async () =>
      (await statusOf(core.readNamespace({ name: doomed }))) === 404 ? true : undefined,
    );
  });

  it('runs a CronJob: the cronjob controller creates a Job, the job controller its Pod', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const cron = await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'tick' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [{ name: 'tick', image: 'busybox:1.36', command: ['true'] }],
                },
              },
            },
          },
        },
      },
    });
    // The schedule fires at the next minute boundary: at most 60 s away.
    const job = await eventually(
      'a Job owned by the CronJob',
      async () => {
        const jobs = await batch.listNamespacedJob({ namespace });
        return jobs.items.find((j) => j.metadata?.ownerReferences?.some((o) => o.uid === cron.metadata?.uid));
      },
      90_000,
    );
    const pod = await eventually('a Pod owned by the Job', async () => {
      const pods = await core.listNamespacedPod({ namespace });
      return pods.items.find((p) => p.metadata?.ownerReferences?.some((o) => o.uid === job.metadata?.uid));
    });
    expect(pod.spec?.containers[0]?.image).toBe('busybox:1.36');
    // The ServiceAccount admission plugin mounted the namespace's default ServiceAccount token.
    expect(pod.spec?.serviceAccountName).toBe('default');
  }, 120_000);
});
