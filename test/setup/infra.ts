/**
 * Global setup of the integration and e2e projects: brings the real servers up once per run
 * (or reuses the running ones) and puts the harness's client tools on PATH.
 * Servers this run started are stopped at the end unless KEEP_INFRA=1.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../infra/lib/paths.ts';
import { readInfraState } from '../../infra/lib/state.ts';

function runInfra(script: 'up' | 'down'): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'infra', `${script}.ts`)], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`infra ${script} failed (exit ${r.status})`);
}

export default function setup(): () => void {
  const before = readInfraState();
  const wasUp = before.kube !== undefined && before.kafka !== undefined;
  runInfra('up');
  const state = readInfraState();
  if (state.tools) process.env.PATH = `${state.tools.binDir}:${process.env.PATH ?? ''}`;
  return () => {
    if (!wasUp && process.env.KEEP_INFRA !== '1') runInfra('down');
  };
}
