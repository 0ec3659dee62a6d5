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
  /** Process ids (for CPU accounting in benchmarks); `controllerManager` only when one runs. */
  pids: { etcd: number; apiserver: number; controllerManager?: number };
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

export interface PrivateApiserverOptions {
  /** Service ClusterIP range (the harness's /24 holds 254 Services; a benchmark needs more). */
  serviceCidr?: string;
  /** Also run a kube-controller-manager (Deployment, ReplicaSet, Job, GC controllers...). */
  controllerManager?: boolean;
  /**
   * The controller-manager's client-side rate limit (--kube-api-qps/--kube-api-burst); its default
   * (20/30 per controller) is what a stock control plane runs with.
   */
  controllerManagerQps?: { qps: number; burst: number };
  /** More kube-apiserver flags (e.g. `--max-requests-inflight`, `--profiling=true` for pprof). */
  apiserverArgs?: readonly string[];
  /** More kube-controller-manager flags (e.g. `--concurrent-deployment-syncs`). */
  controllerManagerArgs?: readonly string[];
}

export async function startPrivateApiserver(opts: PrivateApiserverOptions = {}): Promise<PrivateApiserver> {
  const serviceCidr = opts.serviceCidr ?? '10.0.0.0/24';
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
      `--service-cluster-ip-range=${serviceCidr}`,
      '--profiling=false',
      ...(opts.apiserverArgs ?? []),
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
  let controllerManager: ChildProcess | undefined;
  const stop = async () => {
    if (controllerManager !== undefined) await stopChild(controllerManager);
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
    if (opts.controllerManager) {
      const cmPort = await freePort();
      controllerManager = spawn(
        join(cacheDir, `kube-${kubeVersion}`, 'bin', 'kube-controller-manager'),
        [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${cmPort}`,
          `--tls-cert-file=${join(pki, 'controller-manager.crt')}`,
          `--tls-private-key-file=${join(pki, 'controller-manager.key')}`,
          `--client-ca-file=${join(pki, 'ca.crt')}`,
          '--authentication-skip-lookup=true',
          '--controllers=*',
          `--service-account-private-key-file=${join(pki, 'sa.key')}`,
          `--root-ca-file=${join(pki, 'ca.crt')}`,
          `--service-cluster-ip-range=${serviceCidr}`,
          '--leader-elect=false',
          '--profiling=false',
          ...(opts.controllerManagerQps === undefined
            ? []
            : [
                `--kube-api-qps=${opts.controllerManagerQps.qps}`,
                `--kube-api-burst=${opts.controllerManagerQps.burst}`,
              ]),
          ...(opts.controllerManagerArgs ?? []),
        ],
        { stdio: 'ignore' },
      );
      const cm = controllerManager;
      await waitFor(
        'private kube-controller-manager healthy',
        async () => {
          if (cm.exitCode !== null) throw new Error(`kube-controller-manager exited with ${cm.exitCode}`);
          // Its serviceaccount controller fills in `default` once it runs.
          await client.get('/api/v1/namespaces/default/serviceaccounts/default');
          return true;
        },
        90_000,
        500,
      );
    }
    client.close();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    server,
    kubeconfig,
    pids: {
      etcd: etcd.pid as number,
      apiserver: apiserver.pid as number,
      ...(controllerManager?.pid === undefined ? {} : { controllerManager: controllerManager.pid }),
    },
    stop,
  };
}
