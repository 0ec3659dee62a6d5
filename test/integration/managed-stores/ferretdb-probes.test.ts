/**
 * The managed FerretDB container's probes, against the upstream FerretDB command run with exactly
 * the environment the renderer gives the container (addresses moved to free loopback ports, the
 * data directory to a temporary one): the debug handler listens where FERRETDB_DEBUG_ADDR says, and
 * the startup, liveness and readiness probes' paths answer 200 there once the store serves the wire
 * protocol, and fail before.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTS } from '../../../api/env.ts';
import { API_VERSION, KIND, withSpecDefaults } from '../../../api/v1alpha1.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { freePort, waitUntil } from '../../../infra/lib/process.ts';
import { upstreamFerretdb } from './upstream-ferretdb.ts';

type HttpProbe = { httpGet: { path: string; port: string } };
interface Container {
  env: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  startupProbe: HttpProbe;
  livenessProbe: HttpProbe;
  readinessProbe: HttpProbe;
}

const objs = renderCreditPipeline(
  {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'probes', namespace: 'x' },
    spec: withSpecDefaults({ kafka: { strimziCluster: 'k' } }),
  },
  { strimzi: true, monitoring: false, operatorImage: 'x/y:1' },
);
const sts = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'probes-mongo');
if (sts === undefined) throw new Error('no managed FerretDB StatefulSet rendered');
const container = (sts.spec as { template: { spec: { containers: Container[] } } }).template.spec
  .containers[0] as Container;

let child: ChildProcess | undefined;
let dataDir = '';
let debugPort = 0;
let wirePort = 0;
let bin = '';

const get = async (path: string): Promise<number> => {
  try {
    return (await fetch(`http://127.0.0.1:${debugPort}${path}`, { signal: AbortSignal.timeout(2_000) }))
      .status;
  } catch {
    return 0;
  }
};

beforeAll(async () => {
  bin = upstreamFerretdb();
  dataDir = mkdtempSync(join(tmpdir(), 'ferretdb-probes-'));
  debugPort = await freePort();
  wirePort = await freePort();
}, 600_000);

afterAll(() => {
  child?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('managed FerretDB probes on the upstream binary', () => {
  it('renders the debug address on the port the probes name', () => {
    const debugAddr = container.env.find((e) => e.name === 'FERRETDB_DEBUG_ADDR')?.value;
    const probePort = container.livenessProbe.httpGet.port;
    expect(container.readinessProbe.httpGet.port).toBe(probePort);
    expect(debugAddr).toBe(`:${container.ports.find((p) => p.name === probePort)?.containerPort}`);
    expect(debugAddr).toBe(`:${PORTS.ferretdbDebug}`);
  });

  it('answers the rendered probe paths once it serves, on the address FERRETDB_DEBUG_ADDR gives', async () => {
    // Nothing answers before the process starts: the probes do not pass by accident.
    expect(await get(container.livenessProbe.httpGet.path)).toBe(0);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const e of container.env) if (e.value !== undefined) env[e.name] = e.value;
    env.FERRETDB_SQLITE_URL = `file:${dataDir}/`;
    env.FERRETDB_STATE_DIR = dataDir;
    env.FERRETDB_LISTEN_ADDR = `127.0.0.1:${wirePort}`;
    env.FERRETDB_DEBUG_ADDR = `127.0.0.1:${debugPort}`;
    child = spawn(bin, [], { env, cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    await waitUntil(
      'the startup probe to pass',
      async () => (await get(container.startupProbe.httpGet.path)) === 200,
      {
        timeoutMs: 30_000,
      },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${log}`);
    });
    expect(await get(container.livenessProbe.httpGet.path)).toBe(200);
    expect(await get(container.readinessProbe.httpGet.path)).toBe(200);
    expect(container.livenessProbe.httpGet.path).not.toBe(container.readinessProbe.httpGet.path);
    // The same environment gives a working Mongo-wire store.
    const client = new MongoClient(`mongodb://127.0.0.1:${wirePort}/`, { serverSelectionTimeoutMS: 5_000 });
    try {
      await client.connect();
      expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('fails liveness and readiness once the store stops', async () => {
    expect(await get(container.livenessProbe.httpGet.path)).toBe(200);
    child?.kill('SIGTERM');
    await waitUntil(
      'the process to exit',
      async () => child?.exitCode !== null || child?.signalCode !== null,
      {
        timeoutMs: 20_000,
      },
    );
    expect(await get(container.livenessProbe.httpGet.path)).not.toBe(200);
    expect(await get(container.readinessProbe.httpGet.path)).not.toBe(200);
  }, 30_000);
});
