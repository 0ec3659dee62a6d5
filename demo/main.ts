/**
 * `make demo`: the whole platform end to end on this machine. Prints progress at every step, a
 * summary on the terminal, and writes a self-contained HTML report whose path it prints.
 * Exits 0 only when every check passed. Options: --count N --rate N --seed N --file PIPELINE.yaml
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from './report-html.ts';
import { formatSummary } from './report-text.ts';
import { DEFAULT_DEMO, type DemoOptions, demoStateDir, runDemo } from './run-demo.ts';

function parseArgs(argv: readonly string[]): Omit<DemoOptions, 'progress'> {
  const o = { ...DEFAULT_DEMO };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--count') o.count = Number(value);
    else if (flag === '--rate') o.rate = Number(value);
    else if (flag === '--seed') o.seed = Number(value);
    else if (flag === '--file') o.pipelineFile = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return o;
}

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;

/** Seconds spent in each step of the demo (from one step's first line to the next step's), in order. */
const stepSeconds = new Map<string, number>();
let current: { step: string; since: number } | undefined;
function enterStep(step: string): void {
  const now = Date.now();
  if (current !== undefined)
    stepSeconds.set(current.step, (stepSeconds.get(current.step) ?? 0) + (now - current.since) / 1000);
  if (current?.step !== step) current = { step, since: now };
  else current.since = now;
}

function timeTable(): string {
  enterStep('(end)');
  const rows = [...stepSeconds].map(([step, s]) => `  ${step.padEnd(16)} ${s.toFixed(0).padStart(5)} s`);
  return [
    'where the time went:',
    ...rows,
    `  ${'total'.padEnd(16)} ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options: DemoOptions = {
    ...parseArgs(process.argv.slice(2)),
    progress: (step, detail) => {
      enterStep(step);
      process.stdout.write(`[demo ${stamp()}] ${step}${detail ? `: ${detail}` : ''}\n`);
    },
  };
  const summary = await runDemo(options).finally(() => process.stdout.write(`${timeTable()}\n`));
  mkdirSync(demoStateDir, { recursive: true });
  const reportPath = join(demoStateDir, 'report.html');
  writeFileSync(reportPath, renderReport(summary));
  writeFileSync(join(demoStateDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${formatSummary(summary, reportPath)}\n`);
  process.exitCode = summary.checks.every((c) => c.ok) ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
