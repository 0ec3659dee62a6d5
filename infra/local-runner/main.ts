/**
 * The local runner: stands in for the kubelet (and kube-scheduler, cluster DNS, the Strimzi Topic
 * Operator and the database images) on a machine with no container runtime, so the workloads run
 * exactly as the operator rendered them. Usage:
 *   node --import tsx infra/local-runner/main.ts --namespace credit-demo [--namespace other]
 * Writes `.state/local-runner/services.json` (Service → loopback endpoints) every second.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { stateDir } from '../lib/paths.ts';
import { readInfraState, requireInfra } from '../lib/state.ts';
import { LocalKubelet } from './kubelet.ts';

export const servicesFile = join(stateDir, 'local-runner', 'services.json');

async function main(): Promise<void> {
  const namespaces: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++)
    if (argv[i] === '--namespace' && argv[i + 1]) namespaces.push(argv[++i] as string);
  if (namespaces.length === 0) throw new Error('usage: local-runner --namespace NS [--namespace NS ...]');
  const kube = requireInfra('kube');
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} [local-runner] ${msg}\n`);
  const kubelet = new LocalKubelet(
    {
      core: kc.makeApiClient(CoreV1Api),
      coordination: kc.makeApiClient(CoordinationV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
    },
    namespaces,
    readInfraState,
    log,
  );
  log(`kubelet stand-in for namespaces ${namespaces.join(', ')}: pods run as local processes`);
  await kubelet.start();
  mkdirSync(join(stateDir, 'local-runner'), { recursive: true });
  const publish = setInterval(() => {
    writeFileSync(`${servicesFile}.tmp`, JSON.stringify(kubelet.services.snapshot(), null, 2));
    renameSync(`${servicesFile}.tmp`, servicesFile);
  }, 1000);
  const stop = async () => {
    clearInterval(publish);
    log('stopping pods');
    await kubelet.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(
    `local-runner failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
