/**
 * Helpers of the operator's integration tests: kubectl/helm against the harness's real control
 * plane, service-account kubeconfigs (TokenRequest), and the operator run as a child process.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeToolEnv, logDir, repoRoot, stateDir } from '../../../infra/lib/paths.ts';
import { freePort } from '../../../infra/lib/process.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { KubeClient, WRITE_VERBS } from '../../../operator/kube/client.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function kubeInfo() {
  return { kube: requireInfra('kube'), tools: requireInfra('tools') };
}

export interface CmdResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function kubectl(args: string[], input?: string, kubeconfig?: string): CmdResult {
  const { kube, tools } = kubeInfo();
  const r = spawnSync(tools.kubectl, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig ?? kube.kubeconfig },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function kubectlOk(args: string[], input?: string, kubeconfig?: string): string {
  const r = kubectl(args, input, kubeconfig);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * Waits until the named CRDs (or all) are Established. Polls instead of `kubectl wait`: right after
 * an apply a CRD can have no status yet, and `kubectl wait --for=condition` then fails at once
 * (".status.conditions accessor error") instead of waiting.
 */
export function waitCrdsEstablished(names: string[] | 'all', kubeconfig?: string, timeoutMs = 60_000): void {
  const deadline = Date.now() + timeoutMs;
  const target = names === 'all' ? [] : names.map((n) => (n.startsWith('crd/') ? n.slice(4) : n));
  for (;;) {
    const r = kubectl(['get', 'crd', ...target, '-o', 'json'], undefined, kubeconfig);
    if (r.status === 0) {
      const doc = JSON.parse(r.stdout) as {
        items?: { status?: { conditions?: { type: string; status: string }[] } }[];
        status?: { conditions?: { type: string; status: string }[] };
      };
      const crds = doc.items ?? [doc];
      const established = (c: (typeof crds)[number]) =>
        c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') === true;
      if (crds.length > 0 && crds.every(established)) return;
    }
    if (Date.now() > deadline)
      throw new Error(`CRDs ${target.join(', ') || '(all)'} not Established in ${timeoutMs} ms: ${r.stderr}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
}

export function helm(args: string[]): CmdResult {
  const { kube, tools } = kubeInfo();
  const r = spawnSync(tools.helm, args, {
    encoding: 'utf8',
    cwd: repoRoot,
    env: kubeToolEnv(kube.kubeconfig),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A client with the harness's admin credentials (for the tests' own reads and writes). */
export function adminClient(): KubeClient {
  return adminClientFor(kubeInfo().kube.kubeconfig);
}

export function adminClientFor(kubeconfig: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new KubeClient(kc);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4).toString(36)}`;
}

export function createNamespace(name: string, labels: Record<string, string> = {}): void {
  kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }),
  );
}

/** Installs the Strimzi and prometheus-operator CRDs generated into test/fixtures/crds/. */
export function installFixtureCrds(kubeconfig?: string): string[] {
  const dir = join(repoRoot, 'test', 'fixtures', 'crds');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  if (files.length === 0) throw new Error(`no CRDs in ${dir}`);
  for (const f of files)
    kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(dir, f)], undefined, kubeconfig);
  waitCrdsEstablished('all', kubeconfig);
  return files;
}

/** A kubeconfig that authenticates as a service account with a TokenRequest token. */
export function serviceAccountKubeconfig(namespace: string, serviceAccount: string): string {
  const { kube } = kubeInfo();
  const token = kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--duration=2h']).trim();
  const ca = readFileSync(join(kube.pkiDir, 'ca.crt')).toString('base64');
  const dir = join(stateDir, 'operator-tests');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${namespace}-${serviceAccount}.kubeconfig.json`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'harness', cluster: { server: kube.server, 'certificate-authority-data': ca } }],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'harness', user: serviceAccount, namespace } }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );
  return file;
}

export interface OperatorProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  logFile: string;
  metrics(): Promise<string>;
  ready(): Promise<boolean>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `credit-platform operator` as a process; resolves once its ops server answers /healthz. */
export async function startOperator(name: string, env: Record<string, string>): Promise<OperatorProcess> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'operator'], {
    cwd: repoRoot,
    env: { ...process.env, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  try {
    await waitFor(
      `operator ${name} to serve /healthz (log: ${logFile})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
        return (await fetch(`${base}/healthz`)).status === 200;
      },
      90_000,
      250,
    );
  } catch (err) {
    await stop('SIGKILL');
    throw err;
  }
  return {
    child,
    pid: child.pid as number,
    port,
    logFile,
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    ready: async () => (await fetch(`${base}/readyz`)).status === 200,
    stop,
  };
}

/** Sum of a counter's samples whose labels pass `filter`. */
export function counterSum(
  metricsText: string,
  name: string,
  filter: (labels: Record<string, string>) => boolean = () => true,
): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? ([0-9.eE+-]+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] as string] = l[2] as string;
    if (filter(labels)) sum += Number(m[2]);
  }
  return sum;
}

/** Write requests the operator sent, except Lease renewals (leader election writes by design). */
export function nonLeaseWrites(metricsText: string): number {
  return counterSum(
    metricsText,
    'credit_operator_api_requests_total',
    (l) => WRITE_VERBS.has(l.verb ?? '') && l.resource !== 'leases',
  );
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
