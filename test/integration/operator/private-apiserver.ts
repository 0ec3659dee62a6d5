/**
 * A private etcd + kube-apiserver (the harness's binaries and PKI, own data directory and free
 * ports), for tests that need a cluster state nobody else touches — e.g. one where the Strimzi and
 * prometheus-operator CRDs are not installed yet. No controller-manager: nothing here needs one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdVersion, kubeVersion } from '../../../infra/components/kube.ts';
import { cacheDir } from '../../../infra/lib/paths.ts';
import { freePort } from '../../../infra/lib/process.ts';
import { adminClientFor, kubeInfo, waitFor } from './support.ts';

export interface PrivateApiserver {
  server: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

export async function startPrivateApiserver(): Promise<PrivateApiserver> {
  const { kube } = kubeInfo();
  const pki = kube.pkiDir;
  const dir = mkdtempSync(join(tmpdir(), 'op-private-kube-'));
  const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = spawn(
    join(cacheDir, `etcd-${etcdVersion}`, 'bin', 'etcd'),
    [
      '--name=private',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=private=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  const apiserver = spawn(
    join(cacheDir, `kube-${kubeVersion}`, 'bin', 'kube-apiserver'),
    [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--profiling=false',
    ],
    { stdio: 'ignore' },
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'admin.kubeconfig.json');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'private', cluster: { server, 'certificate-authority': join(pki, 'ca.crt') } }],
      users: [
        {
          name: 'admin',
          user: { 'client-certificate': join(pki, 'admin.crt'), 'client-key': join(pki, 'admin.key') },
        },
      ],
      contexts: [{ name: 'private', context: { cluster: 'private', user: 'admin' } }],
      'current-context': 'private',
    }),
  );
  const stop = async () => {
    await stopChild(apiserver);
    await stopChild(etcd);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const client = adminClientFor(kubeconfig);
    await waitFor(
      'private kube-apiserver ready',
      async () => {
        if (apiserver.exitCode !== null) throw new Error(`kube-apiserver exited with ${apiserver.exitCode}`);
        await client.request('GET', 'get', '/readyz');
        return true;
      },
      120_000,
      500,
    );
    client.close();
  } catch (err) {
    await stop();
    throw err;
  }
  return { server, kubeconfig, stop };
}
