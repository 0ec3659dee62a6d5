/**
 * The single entry point of the platform's image: `credit-platform <subcommand> [args]`.
 * The chart, the operator's pod specs and the Dockerfile differ only in the subcommand and its
 * configuration.
 */

import { SUBCOMMANDS, type Subcommand } from '../api/image.ts';

type Run = (argv: string[]) => Promise<void>;

/** One entry per subcommand of the image (api/image.ts `SUBCOMMANDS`; the type keeps them equal). */
const subcommands: Record<Subcommand, { describe: string; load: () => Promise<{ run: Run }> }> = {
  'ingestion-api': {
    describe: 'HTTP API that validates, pseudonymizes and produces applications',
    load: () => import('../workloads/ingestion-api/main.ts'),
  },
  generator: {
    describe: 'Synthetic application traffic with labelled fraud scenarios',
    load: () => import('../workloads/generator/main.ts'),
  },
  'fraud-detector': {
    describe: 'Streaming fraud detector (Kafka → MongoDB alerts + alerts topic)',
    load: () => import('../workloads/fraud-detector/main.ts'),
  },
  'warehouse-loader': {
    describe: 'Loads applications and alerts from Kafka into PostgreSQL (exactly-once effect)',
    load: () => import('../workloads/warehouse-loader/main.ts'),
  },
  cases: {
    describe: "Fraud case queue: API, analysts' page, and cases opened from the alerts topic",
    load: () => import('../workloads/cases/main.ts'),
  },
  'alert-delivery': {
    describe: 'Delivers fraud alerts to webhooks (signed, retried, dead-lettered)',
    load: () => import('../workloads/alert-delivery/main.ts'),
  },
  'decision-service': {
    describe:
      'Credit decisions in the stream: verdicts + applications → champion scorecard → decision records',
    load: () => import('../workloads/decision-service/main.ts'),
  },
  'risk-scorer': {
    describe: 'Batch scorecard scoring, decisions and reason codes (Indexed Job)',
    load: () => import('../workloads/risk-scorer/main.ts'),
  },
  migrate: {
    describe: 'Applies the warehouse SQL migrations',
    load: () => import('../workloads/warehouse/migrate-main.ts'),
  },
  'load-outcomes': {
    describe: 'Loads loan performance outcomes (CSV) into the warehouse, all or nothing',
    load: () => import('../workloads/outcomes/main.ts'),
  },
  operator: { describe: 'The CreditPipeline operator', load: () => import('../operator/main.ts') },
  render: {
    describe: 'Prints what the operator would apply for a CreditPipeline file (validated first)',
    load: () => import('./render/main.ts'),
  },
};

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const known = (SUBCOMMANDS as readonly string[]).includes(name ?? '');
  const entry = known ? subcommands[name as Subcommand] : undefined;
  if (entry === undefined) {
    const list = SUBCOMMANDS.map((n) => `  ${n.padEnd(18)} ${subcommands[n].describe}`).join('\n');
    process.stderr.write(`usage: credit-platform <subcommand> [args]\n\n${list}\n`);
    process.exit(name === undefined || name === '--help' ? 0 : 2);
  }
  const mod = await entry.load();
  await mod.run(rest);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
