/**
 * What a platform team checks first when the workloads run as real pods, checked by the demo on the
 * harness node (issue 14, "How it will be checked"):
 * - every workload process is a container's process whose parent is `containerd-shim-runc-v2`, and no
 *   process of a kubelet stand-in runs;
 * - `kubectl exec` into the fraud detector shows uid 10001 and a read-only root file system;
 * - killing the detector container's process (SIGKILL from the host, as an OOM kill would) makes the
 *   kubelet restart the container; the rest of the demo's checks then show the pipeline carried on.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { IMAGE_UID } from '../api/image.ts';
import { NODE_NAME, nodeBinaries, nodePaths } from '../infra/node/config.ts';
import { kubectl, kubectlJson } from './cluster.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface CriContainer {
  id: string;
  labels: Record<string, string>;
}

function crictl(args: readonly string[]): string {
  const r = spawnSync(
    nodeBinaries.crictl,
    ['--runtime-endpoint', `unix://${nodePaths.containerdSocket}`, '--timeout', '30s', ...args],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`crictl ${args.join(' ')} failed: ${r.stderr || String(r.error)}`);
  return r.stdout;
}

/** The host PID of a running container's first process. */
function containerPid(id: string): number {
  const info = JSON.parse(crictl(['inspect', '-o', 'json', id])) as { info?: { pid?: number } };
  const pid = info.info?.pid;
  if (pid === undefined || pid <= 0) throw new Error(`container ${id} has no process`);
  return pid;
}

function parentOf(pid: number): number {
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Processes of this machine whose command line names the former kubelet stand-in (infra/local-runner). */
function standInProcesses(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .map(Number)
    .filter((pid) => /local-runner/.test(cmdline(pid)));
}

/** Every running container of the namespaces runs under containerd-shim-runc-v2; no stand-in runs. */
export function checkShimParents(namespaces: readonly string[]): Check {
  const containers = namespaces.flatMap(
    (ns) =>
      (
        JSON.parse(
          crictl(['ps', '-o', 'json', '--state', 'Running', '--label', `io.kubernetes.pod.namespace=${ns}`]),
        ) as { containers: CriContainer[] }
      ).containers,
  );
  const wrong: string[] = [];
  for (const c of containers) {
    const name = `${c.labels['io.kubernetes.pod.name']}/${c.labels['io.kubernetes.container.name']}`;
    try {
      const parent = cmdline(parentOf(containerPid(c.id)));
      if (!parent.includes('containerd-shim-runc-v2')) wrong.push(`${name} (parent: ${parent || '?'})`);
    } catch (err) {
      // A container that exited between the listing and the inspection is not a wrong parent.
      if (!/no process|not found/i.test(String(err))) wrong.push(`${name} (${String(err)})`);
    }
  }
  const standIns = standInProcesses();
  return {
    name: 'every workload process runs in a container under containerd-shim-runc-v2; no stand-in runs',
    ok: containers.length > 0 && wrong.length === 0 && standIns.length === 0,
    detail:
      `${containers.length} running containers in ${namespaces.join(', ')}` +
      (wrong.length > 0
        ? `; not under the shim: ${wrong.join(', ')}`
        : '; each a child of containerd-shim-runc-v2') +
      (standIns.length > 0 ? `; local-runner processes: ${standIns.join(', ')}` : ''),
  };
}

/** Every pod of the namespaces is bound to the harness node (`kubectl get pods -o wide` shows it there). */
export function checkPodsOnNode(namespaces: readonly string[]): Check {
  const pods = namespaces.flatMap((ns) => kubectlJson<{ items: V1Pod[] }>(['get', 'pods', '-n', ns]).items);
  const elsewhere = pods
    .filter((p) => p.spec?.nodeName !== NODE_NAME)
    .map((p) => `${p.metadata?.namespace}/${p.metadata?.name} on ${p.spec?.nodeName ?? 'no node'}`);
  return {
    name: `every pod of the pipeline and the operator runs on the node ${NODE_NAME}`,
    ok: pods.length > 0 && elsewhere.length === 0,
    detail:
      elsewhere.length === 0
        ? `${pods.length} pods in ${namespaces.join(', ')}, all on ${NODE_NAME}`
        : `not on the node: ${elsewhere.join(', ')}`,
  };
}

/** `kubectl exec` into a Deployment's pod: the user id and whether `/` is writable and mounted read-only. */
export function checkExecIdentity(namespace: string, deployment: string): Check {
  const script = [
    "const fs = require('node:fs');",
    "let write = 'allowed';",
    "try { fs.writeFileSync('/probe-' + process.pid, 'x'); } catch (e) { write = e.code; }",
    "const root = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '/');",
    "console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), write, rootOptions: root ? root.split(' ')[5] : '' }));",
  ].join(' ');
  let seen: { uid?: number; gid?: number; write?: string; rootOptions?: string } = {};
  let error = '';
  try {
    const out = kubectl(['exec', '-n', namespace, `deploy/${deployment}`, '--', 'node', '-e', script]);
    seen = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as typeof seen;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const readOnly = seen.write === 'EROFS' && (seen.rootOptions ?? '').split(',').includes('ro');
  return {
    name: `kubectl exec into ${deployment}: uid ${IMAGE_UID}, read-only root file system`,
    ok: seen.uid === IMAGE_UID && readOnly,
    detail:
      error !== ''
        ? error
        : `uid ${seen.uid}, gid ${seen.gid}; writing to / → ${seen.write}; / mounted ${seen.rootOptions}`,
  };
}

interface KilledContainer {
  pod: string;
  container: string;
  pid: number;
  restartsBefore: number;
  /** When the process was killed. */
  at: Date;
}

function deploymentPods(namespace: string, deployment: string): V1Pod[] {
  const d = kubectlJson<V1Deployment>(['get', 'deployment', deployment, '-n', namespace]);
  const selector = Object.entries(d.spec?.selector.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return kubectlJson<{ items: V1Pod[] }>(['get', 'pods', '-n', namespace, '-l', selector]).items;
}

/** Kills (SIGKILL, from the host) the first process of one running container of the Deployment. */
export function killContainerProcess(namespace: string, deployment: string): KilledContainer {
  const pod = deploymentPods(namespace, deployment).find((p) =>
    (p.status?.containerStatuses ?? []).some((s) => s.ready && s.containerID !== undefined),
  );
  const status = pod?.status?.containerStatuses?.find((s) => s.ready && s.containerID !== undefined);
  if (pod === undefined || status === undefined)
    throw new Error(`no ready pod of ${namespace}/${deployment}`);
  const id = (status.containerID ?? '').replace(/^containerd:\/\//, '');
  const pid = containerPid(id);
  process.kill(pid, 'SIGKILL');
  return {
    pod: pod.metadata?.name ?? '',
    container: status.name,
    pid,
    restartsBefore: status.restartCount,
    at: new Date(),
  };
}

/** Waits until the kubelet has restarted the killed container and it is ready again. */
export async function checkRestarted(
  namespace: string,
  killed: KilledContainer,
  timeoutMs: number,
): Promise<Check> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not seen';
  while (Date.now() < deadline) {
    try {
      const pod = kubectlJson<V1Pod>(['get', 'pod', killed.pod, '-n', namespace]);
      const s = pod.status?.containerStatuses?.find((c) => c.name === killed.container);
      const reason = s?.lastState?.terminated?.reason ?? '';
      last = `restarts ${s?.restartCount ?? '?'}, ready ${s?.ready}, last termination ${reason || 'none'} (exit ${s?.lastState?.terminated?.exitCode ?? '?'})`;
      if (s !== undefined && s.restartCount > killed.restartsBefore && s.ready) {
        return {
          name: `the kubelet restarted ${killed.container} after its process was killed`,
          ok: true,
          detail: `pid ${killed.pid} of ${killed.pod} killed with SIGKILL; ${last}`,
        };
      }
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    name: `the kubelet restarted ${killed.container} after its process was killed`,
    ok: false,
    detail: `pid ${killed.pid} of ${killed.pod} killed; after ${timeoutMs / 1000} s: ${last}`,
  };
}
