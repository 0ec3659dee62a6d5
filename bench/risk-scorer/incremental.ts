/**
 * What an incremental scoring run costs once the warehouse is large: BENCH_STORED applications (default
 * 200,000) loaded through the loader's writer and scored, then incremental runs (one partition) with
 * nothing new and with BENCH_NEW (default 100) new applications — beside the ceiling measured in the same
 * run: the same number of new applications scored in a warehouse holding nothing else. The difference is
 * the walk over the stored applications that an incremental run does to find the unscored ones
 * (workloads/risk-scorer/README.md, "Known limits").
 *
 *   npx tsx bench/risk-scorer/incremental.ts
 */
import { createTestDatabase, rng } from '../../test/integration/warehouse/support.ts';
import { runScoring } from '../../workloads/risk-scorer/batch.ts';
import { BUILT_IN_CHALLENGER, BUILT_IN_CHAMPION, loadModelSet } from '../../workloads/risk-scorer/models.ts';
import { createPool } from '../../workloads/warehouse/db.ts';
import { loadApplications } from './load.ts';

const STORED = Number(process.env.BENCH_STORED ?? 200_000);
const NEW = Number(process.env.BENCH_NEW ?? 100);
const models = loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER);
const random = rng(2026);
/** What the runs read and write. */
const WAREHOUSE_TABLES = 'fact_application, fact_fraud_alert, fact_credit_score, decision_record';

/** One incremental run of the single partition: applications selected and milliseconds. */
async function run(url: string, runId: string): Promise<{ selected: number; ms: number }> {
  const pool = createPool(url, 2, 'bench-scorer');
  try {
    const t0 = performance.now();
    const s = await runScoring(pool, { runId, partition: { index: 0, count: 1 }, models });
    if (s.status !== 'succeeded') throw new Error(`scoring failed: ${s.error}`);
    return { selected: s.applicationsSelected, ms: performance.now() - t0 };
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const big = await createTestDatabase('bench_incremental');
  const empty = await createTestDatabase('bench_incremental_empty');
  const bigPool = createPool(big.url, 4, 'bench');
  const emptyPool = createPool(empty.url, 4, 'bench');
  try {
    await loadApplications(bigPool, random, STORED);
    const first = await run(big.url, 'first');
    // The warehouse's tables only: a database-wide VACUUM can meet a scorer session's temporary
    // tables as they are dropped ("relation with OID … does not exist").
    await bigPool.query(`VACUUM ANALYZE ${WAREHOUSE_TABLES}`);
    const nothing = await run(big.url, 'nothing-new');
    await loadApplications(bigPool, random, NEW, STORED);
    const some = await run(big.url, 'some-new');
    await loadApplications(emptyPool, random, NEW);
    await emptyPool.query(`VACUUM ANALYZE ${WAREHOUSE_TABLES}`);
    const ceiling = await run(empty.url, 'ceiling');
    const perRow = (ms: number) => ((ms * 1000) / STORED).toFixed(1);
    console.log(
      [
        '# Incremental scoring in a large warehouse',
        '',
        `${STORED} applications stored and scored first (${first.selected} in ${(first.ms / 1000).toFixed(1)} s), one partition, harness PostgreSQL.`,
        '',
        '| Incremental run | Selected | ms | µs per stored application |',
        '| --- | ---: | ---: | ---: |',
        `| nothing new | ${nothing.selected} | ${nothing.ms.toFixed(0)} | ${perRow(nothing.ms)} |`,
        `| ${NEW} new | ${some.selected} | ${some.ms.toFixed(0)} | ${perRow(some.ms)} |`,
        `| ceiling: the same number of new applications in an otherwise empty warehouse | ${ceiling.selected} | ${ceiling.ms.toFixed(0)} | |`,
      ].join('\n'),
    );
  } finally {
    await bigPool.end();
    await emptyPool.end();
    await big.drop();
    await empty.drop();
  }
}

await main();
