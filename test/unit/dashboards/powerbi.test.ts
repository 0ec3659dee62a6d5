import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  daxColumnRefs,
  daxMeasureRefs,
  daxMeasures,
  docRelationships,
  docTables,
} from '../../../dashboards/powerbi/model-doc.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const doc = readFileSync(join(root, 'docs', 'powerbi.md'), 'utf8');
const tables = docTables(doc);
const columnsOf = new Map(tables.map((t) => [t.name, new Set(t.columns)]));

describe('docs/powerbi.md', () => {
  it('describes a star schema: dimensions, facts and the reporting views it needs', () => {
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['dim_date', 'dim_model', 'fact_application', 'fact_credit_score', 'Decision']),
    );
    expect(tables.every((t) => t.columns.length > 0)).toBe(true);
    expect(tables.find((t) => t.name === 'Decision')?.source).toBe('v_current_decision');
  });

  it('relates only columns the model imports', () => {
    const rels = docRelationships(doc);
    expect(rels.length).toBeGreaterThanOrEqual(10);
    for (const { from, to } of rels) {
      expect(columnsOf.get(from.table)?.has(from.column), `${from.table}[${from.column}]`).toBe(true);
      expect(columnsOf.get(to.table)?.has(to.column), `${to.table}[${to.column}]`).toBe(true);
    }
  });

  it('defines DAX measures that reference only imported columns and defined measures', () => {
    const refs = daxColumnRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) {
      expect(columnsOf.get(r.table)?.has(r.column), `${r.table}[${r.column}]`).toBe(true);
    }
    const measures = new Set(daxMeasures(doc));
    for (const page of ['Approval Rate', 'Average Score', 'Latest PSI', 'Fraud Alerts', 'Alert Rate']) {
      expect(measures.has(page), page).toBe(true);
    }
    for (const m of daxMeasureRefs(doc)) expect(measures.has(m), `[${m}]`).toBe(true);
  });

  it('has a section per report page', () => {
    for (const page of ['Risk page', 'Lending page', 'Fraud Insights page']) {
      expect(doc).toMatch(new RegExp(`^### ${page}$`, 'm'));
    }
  });
});

describe('dashboards/powerbi/warehouse.pbids', () => {
  it('opens the PostgreSQL warehouse database in Import mode, with no credentials in the file', () => {
    const text = readFileSync(join(root, 'dashboards', 'powerbi', 'warehouse.pbids'), 'utf8');
    const pbids = JSON.parse(text) as {
      version: string;
      connections: {
        details: { protocol: string; address: { server: string; database: string } };
        mode: string;
      }[];
    };
    expect(pbids.version).toBe('0.1');
    expect(pbids.connections).toHaveLength(1);
    expect(pbids.connections[0]).toMatchObject({
      details: { protocol: 'postgresql', address: { server: 'localhost:5432', database: 'credit' } },
      mode: 'Import',
    });
    expect(text).not.toMatch(/password|user/i);
  });
});
