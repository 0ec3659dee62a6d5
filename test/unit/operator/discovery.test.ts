import { describe, expect, it } from 'vitest';
import { ApiError, type KubeClient } from '../../../operator/kube/client.ts';
import { Discovery, resourcePath } from '../../../operator/kube/discovery.ts';

/** An API server whose served kinds the test changes; counts discovery requests. */
function server(initial: Record<string, Array<{ name: string; kind: string; namespaced: boolean }>>) {
  const served = { ...initial };
  const requests: string[] = [];
  const client = {
    request: async (_m: string, _v: string, path: string) => {
      requests.push(path);
      const gv = path.replace(/^\/apis?\//, '');
      const resources = served[gv];
      if (resources === undefined) throw new ApiError(404, 'NotFound', 'not found', 'get', path);
      return { resources };
    },
  } as unknown as KubeClient;
  return { served, requests, client };
}

describe('Discovery', () => {
  it('maps kinds to resources, caches hits, and skips subresources', async () => {
    const s = server({
      'apps/v1': [
        { name: 'deployments', kind: 'Deployment', namespaced: true },
        { name: 'deployments/scale', kind: 'Scale', namespaced: true },
      ],
    });
    const d = new Discovery(s.client);
    expect(await d.resolve('apps/v1', 'Deployment')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      plural: 'deployments',
      namespaced: true,
    });
    expect(await d.resolve('apps/v1', 'Scale')).toBeNull();
    await d.resolve('apps/v1', 'Deployment');
    expect(s.requests).toEqual(['/apis/apps/v1']);
  });

  it('asks again about a missing API after the miss TTL, and at once after invalidateMisses', async () => {
    let now = 0;
    const s = server({});
    const d = new Discovery(s.client, 30_000, () => now);
    expect(await d.has('kafka.strimzi.io/v1beta2', 'KafkaTopic')).toBe(false);
    s.served['kafka.strimzi.io/v1beta2'] = [{ name: 'kafkas', kind: 'Kafka', namespaced: true }];
    now = 10_000;
    expect(await d.has('kafka.strimzi.io/v1beta2', 'KafkaTopic')).toBe(false);
    expect(s.requests).toHaveLength(1);
    now = 31_000;
    // The group-version now exists, but without KafkaTopic yet (CRDs established one by one).
    expect(await d.has('kafka.strimzi.io/v1beta2', 'KafkaTopic')).toBe(false);
    expect(await d.has('kafka.strimzi.io/v1beta2', 'Kafka')).toBe(true);
    s.served['kafka.strimzi.io/v1beta2']?.push({ name: 'kafkatopics', kind: 'KafkaTopic', namespaced: true });
    d.invalidateMisses();
    expect(await d.has('kafka.strimzi.io/v1beta2', 'KafkaTopic')).toBe(true);
    expect(s.requests).toHaveLength(3);
  });

  it('builds REST paths for core and grouped, namespaced and cluster resources', () => {
    expect(resourcePath({ apiVersion: 'v1', plural: 'secrets', namespaced: true }, 'ns', 'x')).toBe(
      '/api/v1/namespaces/ns/secrets/x',
    );
    expect(resourcePath({ apiVersion: 'apps/v1', plural: 'deployments', namespaced: true }, undefined)).toBe(
      '/apis/apps/v1/deployments',
    );
    expect(
      resourcePath(
        { apiVersion: 'creditplatform.dev/v1alpha1', plural: 'creditpipelines', namespaced: true },
        'a',
        'b',
        'status',
      ),
    ).toBe('/apis/creditplatform.dev/v1alpha1/namespaces/a/creditpipelines/b/status');
  });
});
