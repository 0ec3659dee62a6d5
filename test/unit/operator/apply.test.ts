import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import { ownerKeyOf, pipelineChanged, statusOnlyChange } from '../../../operator/controller.ts';
import { ApiError, type KubeClient, resourceOfPath } from '../../../operator/kube/client.ts';
import type { Discovery, ResourceInfo } from '../../../operator/kube/discovery.ts';
import { ChildApplier, childKey, upgradeManagedFields } from '../../../operator/reconcile/apply.ts';
import { objectHash } from '../../../operator/reconcile/hash.ts';
import {
  FIELD_MANAGER,
  foreignManagers,
  HASH_ANNOTATION,
  stampChild,
} from '../../../operator/reconcile/ownership.ts';
import { unwantedChildren } from '../../../operator/reconcile/prune.ts';
import { pipeline, render } from './fixtures.ts';

describe('hashing and stamping', () => {
  it('canonical JSON ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(objectHash({ a: 1, b: 2 })).toBe(objectHash({ b: 2, a: 1 }));
    expect(objectHash({ a: 1 })).not.toBe(objectHash({ a: 2 }));
  });

  it('puts the label, a controller ownerReference and the desired hash on every child', () => {
    const cp = pipeline();
    for (const d of render(cp)) {
      const { object, hash } = stampChild(cp, d);
      expect(object.metadata.namespace).toBe('lending');
      expect(object.metadata.labels?.['creditplatform.dev/pipeline']).toBe('demo');
      expect(object.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'creditplatform.dev/v1alpha1',
          kind: 'CreditPipeline',
          name: 'demo',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(object.metadata.annotations?.[HASH_ANNOTATION]).toBe(hash);
    }
  });

  it('changes a child hash only when that child changes', () => {
    const a = pipeline();
    const b = pipeline({ kafka: { strimziCluster: 'kafka' }, fraudDetector: { replicas: 3 } }, 2);
    const ha = new Map(render(a).map((d) => [childKey(d), stampChild(a, d).hash]));
    const hb = new Map(render(b).map((d) => [childKey(d), stampChild(b, d).hash]));
    const changed = [...ha.keys()].filter((k) => ha.get(k) !== hb.get(k));
    expect(changed).toEqual(['apps/v1/Deployment/lending/demo-fraud-detector']);
  });
});

/** Records the requests the apply layer sends; answers like the API server would. */
function fakeClient() {
  const calls: Array<{ verb: string; path: string; body?: unknown }> = [];
  const client = {
    create: async (path: string, body: KubernetesObject) => {
      calls.push({ verb: 'create', path });
      return body;
    },
    apply: async (path: string, body: KubernetesObject) => {
      calls.push({ verb: 'apply', path });
      return body;
    },
    jsonPatch: async (path: string, ops: unknown[]) => {
      calls.push({ verb: 'patch', path, body: ops });
      return {};
    },
    delete: async (path: string) => {
      calls.push({ verb: 'delete', path });
      return {};
    },
  } as unknown as KubeClient;
  const discovery = {
    resolve: async (apiVersion: string, kind: string): Promise<ResourceInfo | null> =>
      kind === 'KafkaTopic' ? null : { apiVersion, kind, plural: `${kind.toLowerCase()}s`, namespaced: true },
  } as unknown as Discovery;
  return { calls, client, discovery };
}

/** An applier over the fake client whose informer cache is a Map the test fills (keyed like childKey). */
function cachedApplier() {
  const { calls, client, discovery } = fakeClient();
  const cache = new Map<string, KubernetesObject>();
  const applier = new ChildApplier(client, discovery, {
    get: (v, k, ns, n) => cache.get(`${v}/${k}/${ns}/${n}`),
  });
  return { calls, cache, applier };
}

describe('ChildApplier', () => {
  const cp = pipeline();
  const deployment = render(cp).find((d) => d.kind === 'Deployment') as ReturnType<typeof render>[number];

  it('creates a child it has never seen, then sends nothing while the desired hash is unchanged', async () => {
    const { calls, cache, applier } = cachedApplier();
    expect((await applier.reconcile(cp, deployment)).action).toBe('created');
    expect(calls).toEqual([{ verb: 'create', path: '/apis/apps/v1/namespaces/lending/deployments' }]);
    // The cache has not caught up yet: the memo of the last apply avoids a second write.
    expect((await applier.reconcile(cp, deployment)).action).toBe('unchanged');
    // The cache catches up.
    const { object } = stampChild(cp, deployment);
    cache.set(childKey(object), object as unknown as KubernetesObject);
    applier.observe('add', object as unknown as KubernetesObject);
    expect((await applier.reconcile(cp, deployment)).action).toBe('unchanged');
    expect(calls).toHaveLength(1);
  });

  it('keeps the API server’s answer to an apply until the child’s next event reaches the cache', async () => {
    const { applier } = cachedApplier();
    const { object } = stampChild(cp, deployment);
    const key = childKey(object);
    expect(applier.written(key)).toBeUndefined();
    await applier.reconcile(cp, deployment);
    expect(applier.written(key)?.metadata?.annotations?.[HASH_ANNOTATION]).toBe(
      object.metadata.annotations?.[HASH_ANNOTATION],
    );
    applier.observe('add', object as unknown as KubernetesObject);
    expect(applier.written(key)).toBeUndefined();
  });

  it('re-applies after the child was deleted by hand', async () => {
    const { calls, applier } = cachedApplier();
    await applier.reconcile(cp, deployment);
    const { object } = stampChild(cp, deployment);
    applier.observe('delete', object as unknown as KubernetesObject);
    expect((await applier.reconcile(cp, deployment)).action).toBe('created');
    expect(calls).toHaveLength(2);
  });

  it('re-applies when someone else changed the object (its hash annotation no longer matches)', async () => {
    const { calls, cache, applier } = cachedApplier();
    await applier.reconcile(cp, deployment);
    const { object } = stampChild(cp, deployment);
    const edited = structuredClone(object) as unknown as KubernetesObject;
    (edited.metadata as { annotations: Record<string, string> }).annotations[HASH_ANNOTATION] = 'edited';
    cache.set(childKey(edited), edited);
    applier.observe('update', edited);
    expect((await applier.reconcile(cp, deployment)).action).toBe('updated');
    expect(calls).toHaveLength(2);
  });

  it('re-applies a child whose declared fields another manager took over (kubectl scale), not one whose status changed', async () => {
    const { calls, cache, applier } = cachedApplier();
    await applier.reconcile(cp, deployment);
    const { object } = stampChild(cp, deployment);
    const live = structuredClone(object) as unknown as KubernetesObject;
    const managed: Array<{
      manager: string;
      operation?: string;
      subresource?: string;
      fieldsV1: Record<string, unknown>;
    }> = [
      { manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kube-controller-manager', subresource: 'status', fieldsV1: { 'f:status': {} } },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        fieldsV1: { 'f:metadata': { 'f:annotations': {} } },
      },
    ];
    (live.metadata as { managedFields: unknown[] }).managedFields = managed;
    cache.set(childKey(live), live);
    expect((await applier.reconcile(cp, deployment)).action).toBe('unchanged');
    expect(foreignManagers(live, object)).toEqual([]);
    // Fields the operator does not declare (a pause, an extra container port) are not taken back
    // by applying again, so they are not drift (re-applying for them would never converge).
    managed.push({
      manager: 'kubectl-patch',
      operation: 'Update',
      fieldsV1: {
        'f:spec': {
          'f:paused': {},
          'f:template': {
            'f:spec': {
              'f:containers': { 'k:{"name":"not-ours"}': { '.': {}, 'f:image': {} } },
            },
          },
        },
      },
    });
    expect(foreignManagers(live, object)).toEqual([]);
    expect((await applier.reconcile(cp, deployment)).action).toBe('unchanged');
    // A declared field inside a keyed list item is drift.
    const container = (deployment.spec as { template: { spec: { containers: Array<{ name: string }> } } })
      .template.spec.containers[0];
    managed.push({
      manager: 'kubectl-edit',
      operation: 'Update',
      fieldsV1: {
        'f:spec': {
          'f:template': {
            'f:spec': { 'f:containers': { [`k:{"name":"${container?.name}"}`]: { 'f:image': {} } } },
          },
        },
      },
    });
    expect(foreignManagers(live, object)).toEqual(['kubectl-edit']);
    managed.pop();

    managed.push({ manager: 'kubectl', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    const out = await applier.reconcile(cp, deployment);
    expect(out.action).toBe('updated');
    expect(out.reverted).toEqual(['kubectl']);
    expect(calls).toHaveLength(2);
  });

  it('turns the create-time ownership into the apply entry before the first apply of a created child', async () => {
    const { calls, cache, applier } = cachedApplier();
    await applier.reconcile(cp, deployment);
    const { object } = stampChild(cp, deployment);
    const live = structuredClone(object) as unknown as KubernetesObject;
    (live.metadata as { annotations: Record<string, string> }).annotations[HASH_ANNOTATION] = 'older';
    (live.metadata as { resourceVersion: string }).resourceVersion = '42';
    (live.metadata as { managedFields: unknown[] }).managedFields = [
      {
        manager: FIELD_MANAGER,
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        fieldsV1: { 'f:status': {} },
      },
    ];
    cache.set(childKey(live), live);
    applier.observe('update', live);
    expect((await applier.reconcile(cp, deployment)).action).toBe('updated');
    expect(calls.map((c) => c.verb)).toEqual(['create', 'patch', 'apply']);
    expect(calls[1]?.body).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      {
        op: 'replace',
        path: '/metadata/managedFields',
        value: [
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
            fieldsV1: { 'f:status': {} },
          },
          {
            manager: FIELD_MANAGER,
            operation: 'Apply',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } },
          },
        ],
      },
    ]);
  });

  it('merges the create-time entry into an existing apply entry, and leaves every other entry alone', () => {
    const live = {
      metadata: {
        managedFields: [
          { manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
          { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:paused': {} } } },
          {
            manager: FIELD_MANAGER,
            operation: 'Update',
            subresource: 'status',
            fieldsV1: { 'f:status': {} },
          },
          {
            manager: FIELD_MANAGER,
            operation: 'Update',
            fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': {} } }, 'f:metadata': { 'f:labels': {} } },
          },
        ],
      },
    } as unknown as KubernetesObject;
    expect(upgradeManagedFields(live)).toEqual([
      { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:paused': {} } } },
      { manager: FIELD_MANAGER, operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } },
      {
        manager: FIELD_MANAGER,
        operation: 'Apply',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': {} } },
          'f:metadata': { 'f:labels': {} },
        },
      },
    ]);
    // Applied from the start (or already upgraded): nothing to do.
    const applied = { metadata: { managedFields: [live.metadata?.managedFields?.[0]] } } as KubernetesObject;
    expect(upgradeManagedFields(applied)).toBeUndefined();
    expect(upgradeManagedFields(undefined)).toBeUndefined();
  });

  it('applies a child that already exists without the cache knowing it (create answers AlreadyExists)', async () => {
    const { calls, client, discovery } = fakeClient();
    (client as unknown as { create: () => Promise<never> }).create = async () => {
      calls.push({ verb: 'create', path: 'collection' });
      throw new ApiError(409, 'AlreadyExists', 'exists', 'create', 'collection');
    };
    const applier = new ChildApplier(client, discovery, { get: () => undefined });
    expect((await applier.reconcile(cp, deployment)).action).toBe('created');
    expect(calls.map((c) => c.verb)).toEqual(['create', 'apply']);
  });

  it('reports a kind the cluster does not serve instead of sending a request', async () => {
    const { calls, client, discovery } = fakeClient();
    const applier = new ChildApplier(client, discovery, { get: () => undefined });
    const topic = render(cp).find((d) => d.kind === 'KafkaTopic') as ReturnType<typeof render>[number];
    expect((await applier.reconcile(cp, topic)).action).toBe('unavailable');
    expect(calls).toHaveLength(0);
  });

  it('deletes with desired = null, and does nothing for an absent child', async () => {
    const { calls, client, discovery } = fakeClient();
    const applier = new ChildApplier(client, discovery, { get: () => undefined });
    const { object } = stampChild(cp, deployment);
    expect((await applier.reconcile(cp, null, object as unknown as KubernetesObject)).action).toBe('deleted');
    expect((await applier.reconcile(cp, null, undefined)).action).toBe('absent');
    expect(calls).toEqual([
      { verb: 'delete', path: '/apis/apps/v1/namespaces/lending/deployments/demo-ingestion-api' },
    ]);
  });
});

describe('pruning', () => {
  it('selects only children controlled by this pipeline (same uid) that are no longer desired', () => {
    const cp = pipeline();
    const desired = render(cp).map((d) => stampChild(cp, d).object as unknown as KubernetesObject);
    const keep = new Set(desired.slice(1).map(childKey));
    const stale = desired[0] as KubernetesObject;
    const foreign = structuredClone(stale);
    foreign.metadata = {
      ...foreign.metadata,
      name: 'other',
      ownerReferences: [{ ...foreign.metadata?.ownerReferences?.[0], uid: 'old-uid' } as never],
    };
    const unowned = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'lending', name: 'x', labels: { 'creditplatform.dev/pipeline': 'demo' } },
    };
    const going = structuredClone(stale);
    going.metadata = { ...going.metadata, name: 'going', deletionTimestamp: new Date() };
    expect(unwantedChildren('uid-1', keep, [...desired, foreign, unowned, going])).toEqual([stale]);
  });
});

describe('controller event mapping', () => {
  it('ignores status-only updates of a pipeline, reacts to spec, deletion and finalizer changes', () => {
    const base = { metadata: { generation: 1, finalizers: [] as string[] } };
    expect(pipelineChanged(base, { metadata: { generation: 1, finalizers: [] } })).toBe(false);
    expect(pipelineChanged(base, { metadata: { generation: 2, finalizers: [] } })).toBe(true);
    expect(
      pipelineChanged(base, { metadata: { generation: 1, finalizers: [], deletionTimestamp: 'now' } }),
    ).toBe(true);
    expect(pipelineChanged(base, { metadata: { generation: 1, finalizers: ['f'] } })).toBe(true);
    expect(pipelineChanged(undefined, base)).toBe(true);
  });

  it('tells a child’s status-only change (delayed, coalesced) from an edit (seen at once)', () => {
    const meta = (generation: number | undefined, hash = 'h1', extra: Record<string, unknown> = {}) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'd',
        namespace: 'ns',
        generation,
        annotations: { [HASH_ANNOTATION]: hash },
        ...extra,
      },
    });
    // The Deployment controller reporting progress.
    expect(
      statusOnlyChange(meta(1), { ...meta(1), status: { observedGeneration: 1 } } as KubernetesObject),
    ).toBe(true);
    // kubectl scale / patch of the spec bumps the generation; our own apply changes the hash.
    expect(statusOnlyChange(meta(1), meta(2))).toBe(false);
    expect(statusOnlyChange(meta(1), meta(1, 'h2'))).toBe(false);
    // Deletion started, or a first sight, or a kind without a generation (ConfigMap data edits).
    expect(statusOnlyChange(meta(1), meta(1, 'h1', { deletionTimestamp: new Date() }))).toBe(false);
    expect(statusOnlyChange(undefined, meta(1))).toBe(false);
    expect(statusOnlyChange(meta(undefined), meta(undefined))).toBe(false);
  });

  it('maps a child to its pipeline by label, else by controller ownerReference', () => {
    expect(
      ownerKeyOf({ metadata: { namespace: 'ns', labels: { 'creditplatform.dev/pipeline': 'p' } } }),
    ).toBe('ns/p');
    expect(
      ownerKeyOf({
        metadata: {
          namespace: 'ns',
          ownerReferences: [
            {
              apiVersion: 'creditplatform.dev/v1alpha1',
              kind: 'CreditPipeline',
              name: 'q',
              uid: 'u',
              controller: true,
            },
          ],
        },
      }),
    ).toBe('ns/q');
    expect(
      ownerKeyOf({
        metadata: {
          namespace: 'ns',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u', controller: true },
          ],
        },
      }),
    ).toBeUndefined();
  });

  it('names the resource of a request path for the metrics', () => {
    expect(resourceOfPath('/apis/apps/v1/namespaces/x/deployments/y')).toBe('deployments');
    expect(resourceOfPath('/api/v1/namespaces/x/secrets')).toBe('secrets');
    expect(resourceOfPath('/apis/creditplatform.dev/v1alpha1/namespaces/x/creditpipelines/y/status')).toBe(
      'creditpipelines/status',
    );
    expect(resourceOfPath('/apis/coordination.k8s.io/v1/namespaces/x/leases/l')).toBe('leases');
    expect(resourceOfPath('/api/v1/namespaces')).toBe('namespaces');
    expect(resourceOfPath('/apis/kafka.strimzi.io/v1beta2')).toBe('discovery');
    expect(resourceOfPath('/api/v1')).toBe('discovery');
    expect(resourceOfPath('/apis/creditplatform.dev/v1alpha1/creditpipelines?watch=true')).toBe(
      'creditpipelines',
    );
  });
});
