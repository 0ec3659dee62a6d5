import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { logDir, pidDir } from './paths.ts';

export interface DaemonSpec {
  /** Stable name: the PID file is `.state/pids/<name>.pid`, the log `.state/logs/<name>.log`. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a detached process whose output goes to its log file; records its PID. */
export function startDaemon(spec: DaemonSpec): number {
  mkdirSync(pidDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${spec.name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  child.unref();
  writeFileSync(join(pidDir, `${spec.name}.pid`), `${child.pid}\n`);
  return child.pid;
}

export function readPid(name: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(pidDir, `${name}.pid`), 'utf8').trim(), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the daemon recorded under `name` (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopDaemon(name: string, graceMs = 15_000): Promise<boolean> {
  const pid = readPid(name);
  rmSync(join(pidDir, `${name}.pid`), { force: true });
  if (!isAlive(pid)) return false;
  const target = pid as number;
  signal(target, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(target)) await sleep(100);
  if (isAlive(target)) signal(target, 'SIGKILL');
  while (isAlive(target)) await sleep(50);
  return true;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    // Negative PID: the whole process group the daemon leads (wrappers and their children).
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port that is free on 127.0.0.1 right now. */
/**
 * A port nothing listens on, for a server started next. Chosen below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, 32768–60999 here): a port the kernel hands out for listen(0) comes from
 * that range, and between our check and the server's bind an outgoing connection of any process can
 * take it (a Kafka test broker failed "Address already in use" that way, under load). Ports below
 * the range are never picked for outgoing connections; other listeners are ruled out by binding.
 * Kubernetes's NodePort range (30000–32767) is avoided too: the node's kube-proxy owns those.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = Math.min(29_999, ephemeralRangeStart() - 1);
  for (let attempt = 0; attempt < 50 && high > low; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  return listenOnAnyPort();
}

function ephemeralRangeStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 1024 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolveFree(true)));
  });
}

function listenOnAnyPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolvePort(addr.port));
    });
  });
}

/** Polls `check` until it returns true; throws with `what` and the log tail on timeout. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; logName?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(opts.intervalMs ?? 250);
  }
  const tail = opts.logName ? logTail(opts.logName) : '';
  throw new Error(`timed out waiting for ${what} (${String(lastError ?? 'not ready')})${tail}`);
}

export function logTail(name: string, lines = 30): string {
  try {
    const text = readFileSync(join(logDir, `${name}.log`), 'utf8')
      .trimEnd()
      .split('\n');
    return `\n--- last lines of .state/logs/${name}.log ---\n${text.slice(-lines).join('\n')}`;
  } catch {
    return '';
  }
}

/** Prints a progress line (stderr, so machine-readable stdout stays clean). */
export function progress(component: string, message: string): void {
  process.stderr.write(`[infra] ${component}: ${message}\n`);
}
