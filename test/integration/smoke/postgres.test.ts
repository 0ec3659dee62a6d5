import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../infra/lib/state.ts';

describe('harness PostgreSQL', () => {
  const info = requireInfra('postgres');
  const database = `smoke_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: info.url });
  let client: pg.Client;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    client = new pg.Client({
      host: info.host,
      port: info.port,
      user: info.user,
      password: info.password,
      database,
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('refuses a wrong password on TCP', async () => {
    const wrong = new pg.Client({ ...clientConfig(), password: 'not-the-password' });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('loads rows with COPY FROM STDIN and reads them back', async () => {
    await client.query('CREATE TABLE scores (application_id text PRIMARY KEY, score integer NOT NULL)');
    const rows = Array.from({ length: 1000 }, (_, i) => `app-${i}\t${i % 850}\n`);
    await pipeline(
      Readable.from(rows),
      client.query(copyFrom('COPY scores (application_id, score) FROM STDIN')),
    );
    const { rows: result } = await client.query<{ n: string; total: string; top: number }>(
      'SELECT count(*) AS n, sum(score) AS total, max(score) AS top FROM scores',
    );
    const expectedTotal = Array.from({ length: 1000 }, (_, i) => i % 850).reduce((a, b) => a + b, 0);
    expect(result[0]).toEqual({ n: '1000', total: String(expectedTotal), top: 849 });
    const one = await client.query<{ score: number }>('SELECT score FROM scores WHERE application_id = $1', [
      'app-900',
    ]);
    expect(one.rows).toEqual([{ score: 50 }]);
  });

  function clientConfig(): pg.ClientConfig {
    return { host: info.host, port: info.port, user: info.user, database };
  }
});
