/**
 * The MongoDB-wire server: FerretDB 1.x on its embedded SQLite backend, built from the Go module
 * proxy (no real mongod is published on the registries this machine reaches). What it lacks
 * compared with mongod is listed in infra/README-servers.md, section "Mongo-wire server".
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { Component } from '../lib/component.ts';
import { cacheDir, repoRoot, stateDir } from '../lib/paths.ts';
import { freePort, progress, startDaemon, stopDaemon, waitUntil } from '../lib/process.ts';
import type { MongoInfo } from '../lib/state.ts';

const ferretdbVersion = 'v1.24.2';
const moduleDir = join(repoRoot, 'infra', 'go', 'ferretdb');
const home = join(stateDir, 'mongo');

/** Cached binary, keyed by FerretDB version and by the wrapper module's own files. */
function binaryPath(): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(moduleDir, f)));
  return join(cacheDir, `ferretdb-${ferretdbVersion}-${hash.digest('hex').slice(0, 10)}`, 'ferretdb');
}

export const mongo: Component<'mongo'> = {
  key: 'mongo',
  daemons: ['ferretdb'],

  async provision() {
    const bin = binaryPath();
    if (existsSync(bin)) return;
    const declared = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
    if (!declared.includes(`github.com/FerretDB/FerretDB ${ferretdbVersion}`))
      throw new Error(`infra/go/ferretdb/go.mod does not pin FerretDB ${ferretdbVersion}`);
    mkdirSync(join(bin, '..'), { recursive: true });
    const tmp = `${bin}.partial`;
    progress('mongo', `building FerretDB ${ferretdbVersion} with go (once; 2 to 5 minutes on 2 cores)`);
    await goBuild(tmp);
    renameSync(tmp, bin);
    progress('mongo', `built ${bin}`);
  },

  async start() {
    await stopDaemon('ferretdb');
    rmSync(home, { recursive: true, force: true });
    const dataDir = join(home, 'data');
    mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    startDaemon({
      name: 'ferretdb',
      command: binaryPath(),
      args: ['-listen-addr', `127.0.0.1:${port}`, '-sqlite-url', `file:${dataDir}/`, '-log-level', 'error'],
      cwd: home,
    });
    const info: MongoInfo = {
      url: `mongodb://127.0.0.1:${port}/`,
      port,
      flavor: 'ferretdb',
      version: ferretdbVersion,
    };
    await waitUntil('FerretDB to answer ping', () => ping(info.url), {
      timeoutMs: 30_000,
      logName: 'ferretdb',
    });
    return info;
  },

  async healthy(info) {
    return ping(info.url);
  },
};

async function ping(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
  try {
    await client.connect();
    const res = await client.db('admin').command({ ping: 1 });
    return res.ok === 1;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

/** `go build` of the wrapper module, with a heartbeat line every 20 s so a long build shows life. */
function goBuild(output: string): Promise<void> {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'building FerretDB needs Go 1.24 or newer on PATH (go.dev toolchain; Debian 12 has only 1.19)',
    );
  }
  return new Promise((resolveBuild, reject) => {
    const started = Date.now();
    const child = spawn(
      'go',
      ['build', '-trimpath', '-buildvcs=false', '-tags', 'ferretdb_no_postgresql', '-o', output, '.'],
      { cwd: moduleDir, stdio: ['ignore', 'inherit', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const beat = setInterval(
      () => progress('mongo', `go build running (${Math.round((Date.now() - started) / 1000)}s)`),
      20_000,
    );
    child.on('error', (err) => {
      clearInterval(beat);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(beat);
      if (code === 0) resolveBuild();
      else reject(new Error(`go build of FerretDB failed (exit ${code}):\n${stderr.slice(-4000)}`));
    });
  });
}
