/** PostgreSQL access shared by the migrator, the loader and the scorer: one pool factory, one transaction helper. */
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(connectionString: string, max = 4, applicationName = 'credit-platform'): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: applicationName });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in a transaction on one pooled client: COMMIT on success, ROLLBACK on any error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Errors that mean the warehouse is not there yet rather than broken: the server not accepting
 * connections (a pod starting), the database or a table or column the migrations create missing.
 */
const NOT_YET = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', '57P03', '3D000', '42P01', '42703']);

export function isWarehouseNotReady(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_YET.has(code);
}

/**
 * Runs `work` once the warehouse is there: a workload that starts beside the migrations Job (a pod
 * on Kubernetes starts in any order) waits for them, saying so once, instead of crash-looping. Any
 * other error, or still waiting after `timeoutMs`, is thrown.
 */
export async function whenWarehouseReady<T>(
  work: () => Promise<T>,
  options: { onWait?: (reason: string) => void; timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let told = false;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (!isWarehouseNotReady(err) || Date.now() > deadline) throw err;
      if (!told) options.onWait?.(`${(err as { code: string }).code}: ${(err as Error).message}`);
      told = true;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 2_000));
    }
  }
}
