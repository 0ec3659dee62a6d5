/**
 * `make demo-adversarial` (after `make demo`): held-out, out-of-order and clock-gaming traffic
 * against the demo's pipeline (demo/held-out-run.ts). Prints what was caught per scenario in time
 * order and shuffled, and the checks; writes .state/demo/held-out.json; exits 1 when a check fails.
 * Options: --seed N, --groups N (per scenario), --legitimate N.
 */
import { DEFAULT_HELD_OUT, type HeldOutArgs, heldOutTable, runHeldOut } from './held-out-run.ts';

function parseArgs(argv: readonly string[]): HeldOutArgs {
  const a: HeldOutArgs = { ...DEFAULT_HELD_OUT };
  for (let i = 0; i < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${argv[i]} needs a whole number`);
    if (argv[i] === '--seed') a.seed = v;
    else if (argv[i] === '--groups') a.groups = v;
    else if (argv[i] === '--legitimate') a.legitimate = v;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return a;
}

async function main(): Promise<void> {
  const r = await runHeldOut(parseArgs(process.argv.slice(2)), (s) =>
    process.stdout.write(`[held-out] ${s}\n`),
  );
  process.stdout.write(`\n${r.outcomes.map(heldOutTable).join('\n\n')}\n\n`);
  for (const c of r.checks) process.stdout.write(`  ${c.ok ? 'pass' : 'FAIL'}  ${c.name} (${c.detail})\n`);
  process.stdout.write('\nWritten: .state/demo/held-out.json\n');
  process.exitCode = r.checks.every((c) => c.ok) ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`held-out run failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
