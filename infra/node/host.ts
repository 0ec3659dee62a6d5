/**
 * What the node changes on the host, and how it is put back.
 *
 * The node touches machine-wide state: a bridge and its address, iptables chains (its guard chain,
 * kube-proxy's and the kubelet's KUBE-* chains), sysctls the kubelet and the bridge plugin rewrite,
 * mounts (pod volumes, sandbox network namespaces, container root file systems) and cgroups. A
 * snapshot of the relevant host state is taken before the node first changes anything and
 * `make infra-down` restores it; the test in test/integration/node compares snapshots.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GUARD_CHAIN,
  NODE_BRIDGE,
  NODE_CGROUP,
  NODE_IP,
  nodePaths,
  POD_CIDR,
  SERVICE_CIDR,
} from './config.ts';

/** Sysctls the node is known to rewrite: the kubelet's kernel tunables, forwarding, bridge netfilter. */
export const NODE_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/forwarding',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
] as const;

/** Chains of the node and its daemons; the host had none of these before the node started. */
const NODE_CHAIN = /^(KUBE-|CNI-|CREDIT-NODE)/;

export interface HostSnapshot {
  sysctls: Record<string, string>;
  /** `iptables-save` / `ip6tables-save` without counters, per table. */
  iptables: Record<string, string[]>;
  links: string[];
  mounts: string[];
  cgroups: string[];
  nftTables: string[];
}

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(join('/proc/sys', key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

const BUILTIN_ACCEPT = /^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT/;

function iptablesDump(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const tool of ['iptables-save', 'ip6tables-save']) {
    let table = '';
    for (const line of sh(tool, []).split('\n')) {
      if (line.startsWith('*')) table = `${tool.replace('-save', '')}:${line.slice(1)}`;
      // Built-in chains with the default policy are no change (an emptied table lists them too).
      else if (BUILTIN_ACCEPT.test(line)) continue;
      else if (line.startsWith(':') || line.startsWith('-A')) {
        const lines = out[table] ?? [];
        lines.push(line.replace(/\s\[\d+:\d+\]$/, ''));
        out[table] = lines;
      }
    }
  }
  return out;
}

function cgroupDirs(): string[] {
  const found: string[] = [];
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return found;
  for (const h of readdirSync(root)) {
    const dir = join(root, h, NODE_CGROUP);
    if (existsSync(dir)) found.push(dir);
  }
  if (existsSync(join(root, NODE_CGROUP))) found.push(join(root, NODE_CGROUP));
  return found;
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(' ')[4] ?? '');
}

export function takeSnapshot(): HostSnapshot {
  const sysctls: Record<string, string> = {};
  for (const k of NODE_SYSCTLS) {
    const v = readSysctl(k);
    if (v !== undefined) sysctls[k] = v;
  }
  let nftTables: string[] = [];
  try {
    nftTables = sh('nft', ['list', 'tables'])
      .split('\n')
      .filter((l) => l.length > 0);
  } catch {
    /* nft missing: the iptables dump covers it */
  }
  return {
    sysctls,
    iptables: iptablesDump(),
    links: sh('ip', ['-o', 'link', 'show'])
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
      .sort(),
    mounts: mountPoints().sort(),
    cgroups: cgroupDirs(),
    nftTables: nftTables.sort(),
  };
}

/** Records the host as it is, unless a recording from before the node already exists. */
export function recordHostBefore(): void {
  if (existsSync(nodePaths.hostBefore)) return;
  writeFileSync(nodePaths.hostBefore, `${JSON.stringify(takeSnapshot(), null, 2)}\n`);
}

/** The pod bridge with the node address, and the guard chain that keeps pod traffic on it. Idempotent. */
export function prepareNetwork(): void {
  if (!tryRun('ip', ['link', 'show', NODE_BRIDGE])) sh('ip', ['link', 'add', NODE_BRIDGE, 'type', 'bridge']);
  if (!sh('ip', ['-o', '-4', 'addr', 'show', 'dev', NODE_BRIDGE]).includes(`${NODE_IP}/`))
    sh('ip', ['addr', 'add', `${NODE_IP}/${POD_CIDR.split('/')[1]}`, 'dev', NODE_BRIDGE]);
  sh('ip', ['link', 'set', NODE_BRIDGE, 'up']);
  // The host reaches ClusterIPs over the bridge, from the node address (kube-proxy's OUTPUT rules
  // carry it to a pod), rather than by its default route: nothing addressed to the Service range
  // leaves the machine. The route goes with the bridge.
  sh('ip', ['route', 'replace', SERVICE_CIDR, 'dev', NODE_BRIDGE, 'src', NODE_IP]);
  if (!tryRun('iptables', ['-n', '-L', GUARD_CHAIN])) sh('iptables', ['-N', GUARD_CHAIN]);
  sh('iptables', ['-F', GUARD_CHAIN]);
  // Nothing is forwarded between the pod bridge and any other interface, in either direction:
  // pods reach each other, Services (DNAT to pods) and the node address (local delivery), no more.
  sh('iptables', ['-A', GUARD_CHAIN, '-i', NODE_BRIDGE, '!', '-o', NODE_BRIDGE, '-j', 'DROP']);
  sh('iptables', ['-A', GUARD_CHAIN, '-o', NODE_BRIDGE, '!', '-i', NODE_BRIDGE, '-j', 'DROP']);
  sh('iptables', ['-A', GUARD_CHAIN, '-s', POD_CIDR, '!', '-d', POD_CIDR, '-j', 'DROP']);
  if (!tryRun('iptables', ['-C', 'FORWARD', '-j', GUARD_CHAIN]))
    sh('iptables', ['-I', 'FORWARD', '1', '-j', GUARD_CHAIN]);
}

/**
 * Puts the guard chain first in FORWARD again: kube-proxy inserts its own jumps at the top, and
 * its KUBE-FORWARD accepts established flows before the guard would see them.
 */
export function ensureGuardFirst(): void {
  const rules = sh('iptables', ['-S', 'FORWARD']).split('\n');
  if (rules[1] === `-A FORWARD -j ${GUARD_CHAIN}`) return;
  while (tryRun('iptables', ['-D', 'FORWARD', '-j', GUARD_CHAIN])) {
    /* every copy */
  }
  sh('iptables', ['-I', 'FORWARD', '1', '-j', GUARD_CHAIN]);
}

/**
 * Puts the host back as recorded: processes left in the node's cgroups killed, mounts under the
 * node's folder unmounted, the bridge and pod links deleted, the node's iptables chains removed,
 * sysctls rewritten to their recorded values, the node's cgroups removed. Safe to run twice.
 */
export function restoreHost(): string[] {
  const notes: string[] = [];
  let before: HostSnapshot | undefined;
  try {
    before = JSON.parse(readFileSync(nodePaths.hostBefore, 'utf8')) as HostSnapshot;
  } catch {
    notes.push('no recording of the host before the node; restoring to the defaults the node assumes');
  }

  notes.push(...cleanupLeftovers());
  if (tryRun('ip', ['link', 'show', NODE_BRIDGE]) && !(before?.links.includes(NODE_BRIDGE) ?? false)) {
    tryRun('ip', ['link', 'delete', NODE_BRIDGE]);
    notes.push(`deleted ${NODE_BRIDGE}`);
  }

  const removed = removeNodeChains(before);
  if (removed > 0) notes.push(`removed ${removed} iptables chains`);
  // Tables iptables created for the node's rules, empty now, go too (when the host had none).
  if (before !== undefined) {
    const dump = iptablesDump();
    for (const table of takeSnapshot().nftTables) {
      if (before.nftTables.includes(table)) continue;
      const [, family, name] = table.split(' ');
      const key = `${family === 'ip6' ? 'ip6tables' : 'iptables'}:${name}`;
      if ((family === 'ip' || family === 'ip6') && (dump[key] ?? []).length === 0) {
        if (tryRun('nft', ['delete', 'table', family, name ?? '']))
          notes.push(`deleted the empty table ${table}`);
      }
    }
  }

  for (const [key, value] of Object.entries(before?.sysctls ?? {})) {
    if (readSysctl(key) !== value) {
      try {
        writeFileSync(join('/proc/sys', key), value);
        notes.push(`${key.replaceAll('/', '.')} restored to ${value}`);
      } catch (err) {
        notes.push(`could not restore ${key}: ${String(err)}`);
      }
    }
  }

  for (const dir of cgroupDirs()) removeCgroupTree(dir);
  // The next start records the host afresh (it may have changed for other reasons meanwhile).
  rmSync(nodePaths.hostBefore, { force: true });
  return notes;
}

/** The recording of the host taken before the node changed it, if the node runs. */
export function readHostBefore(): HostSnapshot | undefined {
  try {
    return JSON.parse(readFileSync(nodePaths.hostBefore, 'utf8')) as HostSnapshot;
  } catch {
    return undefined;
  }
}

/**
 * What a stopped (or crashed) node can leave behind, short of the network: processes in its cgroups,
 * mounts under its folder, pod links on the bridge. Run before a start and by restoreHost.
 */
export function cleanupLeftovers(): string[] {
  const notes: string[] = [];
  killCgroupProcesses();
  const mounts = mountPoints()
    .filter((m) => m.startsWith(`${nodePaths.home}/`) || m === nodePaths.home)
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) if (!tryRun('umount', [m])) tryRun('umount', ['-l', m]);
  if (mounts.length > 0) notes.push(`unmounted ${mounts.length} mounts`);
  const links = sh('ip', ['-o', 'link', 'show'])
    .split('\n')
    .filter((l) => l.includes(`master ${NODE_BRIDGE} `))
    .map((l) => ((l.split(': ')[1] ?? '').split('@')[0] ?? '').trim());
  for (const l of links) tryRun('ip', ['link', 'delete', l]);
  if (links.length > 0) notes.push(`deleted ${links.length} pod links`);
  return notes;
}

/** Kills whatever still runs in the node's cgroups (containers whose shim died first). */
function killCgroupProcesses(): void {
  for (const dir of cgroupDirs()) {
    for (const file of walk(dir).filter((f) => f.endsWith('/cgroup.procs'))) {
      for (const pid of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (e === 'cgroup.procs') out.push(p);
    else if (!e.includes('.')) out.push(...walk(p));
  }
  return out;
}

function removeCgroupTree(dir: string): void {
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      // A cgroup whose last process just died can be busy for a moment.
      spawnSync('sleep', ['0.1']);
    }
  }
}

/**
 * Rewrites each table that holds node chains without them (iptables-restore replaces exactly the
 * tables it is given, so other rules on the host stay as they are). Returns how many chains went.
 */
function removeNodeChains(before: HostSnapshot | undefined): number {
  let removed = 0;
  for (const family of ['iptables', 'ip6tables'] as const) {
    const dump = sh(`${family}-save`, []);
    const keptBefore = new Set(
      Object.entries(before?.iptables ?? {})
        .filter(([t]) => t.startsWith(`${family}:`))
        .flatMap(([, lines]) => lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0])),
    );
    const isNodeChain = (name: string | undefined): boolean =>
      name !== undefined && NODE_CHAIN.test(name) && !keptBefore.has(name);
    const tables: string[][] = [];
    let current: string[] | undefined;
    for (const line of dump.split('\n')) {
      if (line.startsWith('*')) {
        current = [line];
        tables.push(current);
      } else if (current !== undefined) current.push(line);
    }
    for (const lines of tables) {
      let changed = false;
      const kept = lines.filter((l) => {
        if (l.startsWith(':')) {
          const drop = isNodeChain(l.slice(1).split(' ')[0]);
          if (drop) removed++;
          changed ||= drop;
          return !drop;
        }
        if (l.startsWith('-A')) {
          const parts = l.split(' ');
          const jump = parts.findIndex((x) => x === '-j' || x === '-g');
          const drop = isNodeChain(parts[1]) || (jump > 0 && isNodeChain(parts[jump + 1]));
          changed ||= drop;
          return !drop;
        }
        return true;
      });
      if (!changed) continue;
      const r = spawnSync(`${family}-restore`, [], { input: `${kept.join('\n')}\n`, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${family}-restore failed: ${r.stderr}`);
    }
  }
  return removed;
}
