import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_ENTRYPOINT } from '../../../api/image.ts';
import {
  type ObjectReader,
  PodResolutionError,
  planContainer,
} from '../../../infra/local-runner/pod-process.ts';
import { ServiceMap } from '../../../infra/local-runner/service-map.ts';

const scratch = mkdtempSync(join(tmpdir(), 'pod-process-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The runner's kubeconfig lives under a /tmp checkout here: the case that once broke. */
const KUBECONFIG = '/tmp/checkout/.state/local-runner/lending/p/serviceaccount.kubeconfig';

const reader: ObjectReader = {
  configMap: async (_ns, name) => (name === 'settings' ? { LEVEL: 'debug' } : undefined),
  secret: async (_ns, name) => (name === 'db' ? { password: 's3cret' } : undefined),
  serviceAccountKubeconfig: async () => KUBECONFIG,
};

function pod(env: NonNullable<NonNullable<V1Pod['spec']>['containers'][number]['env']>): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'lending', labels: { 'job-name': 'run-1' } },
    spec: {
      serviceAccountName: 'worker',
      volumes: [
        { name: 'tmp', emptyDir: {} },
        { name: 'rules', configMap: { name: 'rules' } },
      ],
      containers: [
        {
          name: 'app',
          image: 'credit-platform:test',
          command: [...IMAGE_ENTRYPOINT, 'fraud-detector'],
          args: ['--rules', '/etc/rules/rules.yaml'],
          ports: [{ name: 'http', containerPort: 8080 }],
          volumeMounts: [
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'rules', mountPath: '/etc/rules' },
          ],
          env,
        },
      ],
    },
  };
}

async function plan(p: V1Pod) {
  const volumes = new Map([
    ['tmp', join(scratch, 'tmp')],
    ['rules', join(scratch, 'rules')],
  ]);
  const container = p.spec?.containers[0];
  if (container === undefined) throw new Error('no container');
  return planContainer(p, container, reader, ServiceMap.fromSnapshot({}), volumes);
}

describe('planContainer', () => {
  it('resolves env like a kubelet: literals, Secret and ConfigMap keys, downward API, $(VAR)', async () => {
    const p = await plan(
      pod([
        { name: 'USER', value: 'scorer' },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
        { name: 'RUN_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['job-name']" } } },
        { name: 'DSN', value: 'postgres://$(USER):$(PASSWORD)@db/x?$$literal' },
      ]),
    );
    expect(p.env).toMatchObject({
      USER: 'scorer',
      PASSWORD: 's3cret',
      LOG_LEVEL: 'debug',
      RUN_ID: 'run-1',
      DSN: 'postgres://scorer:s3cret@db/x?$literal',
      HOSTNAME: 'p',
    });
  });

  it('maps container ports and mount paths in the spec to local ones, but not the paths it adds', async () => {
    const p = await plan(
      pod([
        { name: 'PORT', value: '8080' },
        { name: 'SPOOL', value: '/tmp/spool' },
      ]),
    );
    const port = p.ports[0]?.localPort;
    expect(port).toBeGreaterThan(0);
    expect(p.env.PORT).toBe(String(port));
    expect(p.env.SPOOL).toBe(join(scratch, 'tmp', 'spool'));
    expect(p.argv.slice(-2)).toEqual(['--rules', join(scratch, 'rules', 'rules.yaml')]);
    expect(p.env.KUBECONFIG).toBe(KUBECONFIG);
    expect(p.env.TMPDIR).toBe(join(scratch, 'tmp'));
  });

  it('refuses a pod whose required Secret key is missing, naming it', async () => {
    await expect(
      plan(pod([{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'nope' } } }])),
    ).rejects.toThrow(PodResolutionError);
    await expect(
      plan(pod([{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'nope' } } }])),
    ).rejects.toThrow(/Secret db key nope/);
  });
});
