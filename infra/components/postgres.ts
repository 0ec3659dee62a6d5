/**
 * PostgreSQL 15 from Debian, run as an unprivileged OS user (initdb and postgres refuse root),
 * listening on 127.0.0.1 only, with a fresh cluster on every start.
 *
 * Test settings: fsync, full_page_writes and synchronous_commit are off. The cluster is thrown
 * away on the next start anyway, so durability across an OS crash buys nothing here; a crashed
 * *postgres* process still recovers from its WAL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Component } from '../lib/component.ts';
import { repoRoot, stateDir } from '../lib/paths.ts';
import { freePort, progress, startDaemon, stopDaemon, waitUntil } from '../lib/process.ts';
import type { PostgresInfo } from '../lib/state.ts';

const binDir = '/usr/lib/postgresql/15/bin';
/** Preferred home of the cluster; see clusterHome() for when another is used. */
const stateHome = join(stateDir, 'postgres');
/** Used when the cluster's OS user cannot reach stateHome (e.g. a checkout under a 0700 folder). */
const fallbackHome = join(
  tmpdir(),
  `credit-platform-postgres-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`,
);
const superuser = 'postgres';
// Not 'credit': that is the managed warehouse's role (a store pod of the demo's pipeline).
const appUser = 'harness';
const appDatabase = 'harness';
/** OS account that owns the cluster: Debian's `postgres`, or ours when that one is absent. */
const osUsers = ['postgres', 'credit-pg'] as const;

export const postgres: Component<'postgres'> = {
  key: 'postgres',
  daemons: ['postgres'],

  async provision() {
    if (!existsSync(join(binDir, 'postgres'))) {
      progress('postgres', 'installing Debian packages (infra/provision/apt.sh)');
      execFileSync('bash', [join(repoRoot, 'infra', 'provision', 'apt.sh')], { stdio: 'inherit' });
    }
    if (!existsSync(join(binDir, 'postgres')))
      throw new Error(`PostgreSQL 15 is not installed (${binDir}/postgres missing)`);
    osUser();
  },

  async start() {
    await stopDaemon('postgres');
    const user = osUser();
    const home = clusterHome(user);
    const dataDir = join(home, 'data');
    const socketDir = join(home, 'run');
    mkdirSync(socketDir, { recursive: true });
    chownSync(socketDir, user.uid, user.gid);
    chmodSync(socketDir, 0o700);

    progress('postgres', 'initdb');
    runAs(user, home, join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      superuser,
      '-E',
      'UTF8',
      '--locale=C',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--no-sync',
      '--no-instructions',
    ]);

    const port = await freePort();
    writeFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      [
        `listen_addresses = '127.0.0.1'`,
        `port = ${port}`,
        `unix_socket_directories = '${socketDir}'`,
        'unix_socket_permissions = 0700',
        'max_connections = 200',
        'shared_buffers = 128MB',
        'fsync = off',
        'full_page_writes = off',
        'synchronous_commit = off',
        `password_encryption = 'scram-sha-256'`,
        'log_min_messages = warning',
        "log_line_prefix = '%m [%p] %q%u@%d '",
        '',
      ].join('\n'),
    );
    // Local socket: trust, reachable only by root and the cluster owner (socket dir is 0700).
    // TCP: password (SCRAM) from loopback only.
    writeFileSync(
      join(dataDir, 'pg_hba.conf'),
      ['local all all trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    );
    chownSync(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);
    chownSync(join(dataDir, 'pg_hba.conf'), user.uid, user.gid);

    // SIGTERM is a "smart" shutdown that waits for every client to leave; the wrapper turns
    // infra-down's SIGTERM into SIGINT (fast shutdown: roll back, disconnect, checkpoint).
    const postgresCmd = ['setpriv', ...setprivArgs(user), '--', join(binDir, 'postgres'), '-D', dataDir];
    startDaemon({
      name: 'postgres',
      command: 'bash',
      args: [
        '-c',
        `"$@" & pid=$!; trap 'kill -INT $pid' TERM INT; wait $pid; wait $pid`,
        'postgres-wrapper',
        ...postgresCmd,
      ],
      cwd: home,
    });

    const admin = { host: socketDir, port, user: superuser, database: 'postgres' };
    await waitUntil('postgres to accept connections', () => query(admin, 'SELECT 1'), {
      timeoutMs: 60_000,
      logName: 'postgres',
    });

    const password = randomBytes(18).toString('base64url');
    const client = new pg.Client(admin);
    await client.connect();
    try {
      await client.query(`CREATE ROLE ${appUser} LOGIN CREATEDB CREATEROLE PASSWORD '${password}'`);
      await client.query(`CREATE DATABASE ${appDatabase} OWNER ${appUser}`);
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      const info: PostgresInfo = {
        host: '127.0.0.1',
        port,
        user: appUser,
        password,
        database: appDatabase,
        url: `postgres://${appUser}:${password}@127.0.0.1:${port}/${appDatabase}`,
        version: rows[0]?.server_version ?? 'unknown',
      };
      return info;
    } finally {
      await client.end();
    }
  },

  async healthy(info) {
    return query({ connectionString: info.url }, 'SELECT 1');
  },
};

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The unprivileged account the cluster runs as; creates `credit-pg` if Debian's is missing. */
function osUser(): OsUser {
  for (const name of osUsers) {
    const found = lookupUser(name);
    if (found) return found;
  }
  const name = osUsers[1];
  progress('postgres', `creating system user ${name}`);
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const created = lookupUser(name);
  if (!created) throw new Error(`could not create system user ${name}`);
  return created;
}

function lookupUser(name: string): OsUser | undefined {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { name, uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function setprivArgs(user: OsUser): string[] {
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--reset-env'];
}

/**
 * A fresh, empty folder owned by the cluster's OS user: `.state/postgres` when that user can write
 * there and the socket path fits the 107-byte limit, else a folder under the system temp dir.
 */
function clusterHome(user: OsUser): string {
  for (const home of [stateHome, fallbackHome]) rmSync(home, { recursive: true, force: true });
  for (const home of [stateHome, fallbackHome]) {
    mkdirSync(home, { recursive: true });
    chownSync(home, user.uid, user.gid);
    const socketPath = join(home, 'run', '.s.PGSQL.65535');
    const reachable =
      spawnSync('setpriv', [...setprivArgs(user), '--', 'test', '-w', home]).status === 0 &&
      Buffer.byteLength(socketPath) <= 107;
    if (reachable) {
      if (home !== stateHome)
        progress('postgres', `${stateHome} is not usable by ${user.name}; cluster in ${home}`);
      return home;
    }
    rmSync(home, { recursive: true, force: true });
  }
  throw new Error(
    `no folder usable by OS user ${user.name} for the PostgreSQL cluster (tried ${stateHome}, ${fallbackHome})`,
  );
}

function runAs(user: OsUser, home: string, command: string, args: readonly string[]): void {
  const r = spawnSync('setpriv', [...setprivArgs(user), '--', command, ...args], {
    cwd: home,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`${command} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
}

async function query(config: pg.ClientConfig, sql: string): Promise<boolean> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(sql);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
