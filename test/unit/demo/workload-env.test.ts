/** A Deployment's environment read as a kubelet resolves it (demo/workload-env.ts), for the demo's reads. */
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerEnv, type EnvReader, EnvResolutionError } from '../../../demo/workload-env.ts';

const reader: EnvReader = {
  configMap: async (_ns, name) => (name === 'settings' ? { LEVEL: 'debug', REGION: 'eu' } : undefined),
  secret: async (_ns, name) => (name === 'db' ? { password: 's3cret', user: 'owner' } : undefined),
};

const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'lending', labels: { 'job-name': 'run-1' } },
  spec: { serviceAccountName: 'worker', containers: [] },
};

describe('containerEnv', () => {
  it('resolves literals, Secret and ConfigMap keys, envFrom with a prefix, downward API fields and $(VAR)', async () => {
    const env = await containerEnv(
      pod,
      {
        envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
        env: [
          { name: 'USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
          { name: 'RUN_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['job-name']" } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'DSN', value: 'postgres://$(USER):$(PASSWORD)@demo-postgres:5432/x?$$literal&$(UNSET)' },
        ],
      },
      reader,
    );
    expect(env).toEqual({
      CFG_LEVEL: 'debug',
      CFG_REGION: 'eu',
      USER: 'owner',
      PASSWORD: 's3cret',
      LOG_LEVEL: 'debug',
      RUN_ID: 'run-1',
      NS: 'lending',
      DSN: 'postgres://owner:s3cret@demo-postgres:5432/x?$literal&$(UNSET)',
    });
  });

  it('names a missing required key, and skips a missing optional one', async () => {
    const missing = containerEnv(
      pod,
      { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'nope' } } }] },
      reader,
    );
    await expect(missing).rejects.toThrow(EnvResolutionError);
    await expect(missing).rejects.toThrow(/env X: Secret db key nope not found/);
    const optional = await containerEnv(
      pod,
      { env: [{ name: 'Y', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k', optional: true } } }] },
      reader,
    );
    expect(optional).toEqual({});
  });
});
