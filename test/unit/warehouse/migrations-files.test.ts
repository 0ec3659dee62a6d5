import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../../../workloads/warehouse/migrate.ts';

describe('migration files', () => {
  it('are numbered, ordered and checksummed', () => {
    const ms = readMigrations();
    expect(ms.map((m) => m.version)).toEqual([...ms.map((m) => m.version)].sort((a, b) => a - b));
    expect(ms[0]).toMatchObject({ version: 1, name: 'star_schema', file: '0001_star_schema.sql' });
    for (const m of ms) expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('document every reporting view in the BI contract header', () => {
    const views = readMigrations().flatMap((m) =>
      [...m.sql.matchAll(/CREATE VIEW (rpt_\w+)/g)].map((x) => x[1]),
    );
    const header = readMigrations()
      .map((m) =>
        m.sql
          .split('\n')
          .filter((l) => l.startsWith('--'))
          .join('\n'),
      )
      .join('\n');
    expect(views.length).toBeGreaterThanOrEqual(7);
    for (const v of views) expect(header).toContain(v as string);
  });

  it('reject badly named files and duplicate versions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1');
    writeFileSync(join(dir, '1_b.sql'), 'SELECT 1');
    expect(() => readMigrations(dir)).toThrow(/NNNN_lower_snake/);
    const dup = mkdtempSync(join(tmpdir(), 'mig-'));
    writeFileSync(join(dup, '0001_a.sql'), 'SELECT 1');
    writeFileSync(join(dup, '0001_b.sql'), 'SELECT 1');
    expect(() => readMigrations(dup)).toThrow(/two migrations have version 1/);
  });
});
