/**
 * One node per machine. Several checkouts on one machine each run `make infra-up`; the node's
 * bridge, address, iptables chains and cgroups are machine-wide, so only one checkout may run it.
 * The first checkout claims the node (a small file in /run naming its state folder); the others
 * start their servers and control plane without a node and say why. On by default; CREDIT_NODE=off
 * runs the servers and the control plane alone (the demo and the e2e test need the node).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stateDir } from '../lib/paths.ts';
import { isAlive, progress } from '../lib/process.ts';

interface Claim {
  stateDir: string;
  /** The process that claimed; a claim whose daemons never started counts while it lives. */
  pid: number;
  claimedAt: string;
}

const claimFile = process.env.CREDIT_NODE_CLAIM ?? '/run/credit-platform/node-claim.json';

export type NodeDecision = { enabled: true } | { enabled: false; reason: string };

let decided: NodeDecision | undefined;

/** Whether this checkout runs the node; claims it on first call when it is free. */
export function nodeDecision(): NodeDecision {
  if (decided !== undefined) return decided;
  decided = decide();
  if (!decided.enabled) progress('node', `no node in this checkout: ${decided.reason}`);
  return decided;
}

export function nodeEnabled(): boolean {
  return nodeDecision().enabled;
}

function decide(): NodeDecision {
  // The demo and the e2e test run the platform as pods on the node, so it is on unless turned off.
  const setting = (process.env.CREDIT_NODE ?? 'on').toLowerCase();
  if (['off', '0', 'false', 'no'].includes(setting))
    return {
      enabled: false,
      reason: 'CREDIT_NODE=off: the servers and the control plane run without a node',
    };
  if (process.platform !== 'linux') return { enabled: false, reason: 'the node needs Linux' };
  if (process.getuid?.() !== 0)
    return { enabled: false, reason: 'the node needs root (bridges, iptables, mounts); set CREDIT_NODE=off' };
  for (let attempt = 0; attempt < 3; attempt++) {
    const owner = readClaim();
    if (owner !== undefined && owner.stateDir !== stateDir && claimLive(owner)) {
      return {
        enabled: false,
        reason:
          `the machine's node belongs to the checkout using ${owner.stateDir} (one node per machine); ` +
          `run 'make infra-down' there to free it, or set CREDIT_NODE=off here to silence this`,
      };
    }
    if (owner !== undefined && owner.stateDir === stateDir) {
      writeClaim(true);
      return { enabled: true };
    }
    if (owner !== undefined) rmSync(claimFile, { force: true }); // stale: its owner is gone
    if (writeClaim(false)) return { enabled: true };
  }
  return { enabled: false, reason: `could not claim ${claimFile}` };
}

/** True when the checkout that holds the claim still runs its node (or is starting it). */
function claimLive(c: Claim): boolean {
  for (const daemon of ['containerd', 'kubelet', 'kube-apiserver']) {
    const pidFile = join(c.stateDir, 'pids', `${daemon}.pid`);
    try {
      if (isAlive(Number.parseInt(readFileSync(pidFile, 'utf8'), 10))) return true;
    } catch {
      /* no such daemon */
    }
  }
  return isAlive(c.pid);
}

function readClaim(): Claim | undefined {
  try {
    return JSON.parse(readFileSync(claimFile, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

/** Writes our claim; exclusive unless `overwrite` (refreshing our own). */
function writeClaim(overwrite: boolean): boolean {
  mkdirSync(dirname(claimFile), { recursive: true });
  const claim: Claim = { stateDir, pid: process.pid, claimedAt: new Date().toISOString() };
  try {
    const fd = openSync(claimFile, overwrite ? 'w' : 'wx');
    writeSync(fd, `${JSON.stringify(claim)}\n`);
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Gives the node up (infra-down, once the node and the control plane bound to it are stopped). */
export function releaseNodeClaim(): void {
  const owner = readClaim();
  if (owner?.stateDir === stateDir) rmSync(claimFile, { force: true });
}

/** True when this checkout holds the claim (without claiming). */
export function holdsNodeClaim(): boolean {
  return existsSync(claimFile) && readClaim()?.stateDir === stateDir;
}
