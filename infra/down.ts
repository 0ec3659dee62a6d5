/**
 * `make infra-down`: stops exactly the processes infra-up started, by their recorded PIDs, and puts
 * back what the node changed on the host. Usage: tsx infra/down.ts [component ...] (default: all).
 */
import { rmSync } from 'node:fs';
import { components, selectComponents } from './components/index.ts';
import { infraFile } from './lib/paths.ts';
import { isAlive, progress, readPid, stopDaemon } from './lib/process.ts';
import { readInfraState, writeInfraState } from './lib/state.ts';
import { releaseNodeClaim } from './node/guard.ts';

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const wanted = selectComponents(names);
  for (const c of [...wanted].reverse()) {
    if (c.stop !== undefined) await c.stop();
    else {
      for (const name of [...c.daemons].reverse()) {
        if (await stopDaemon(name)) progress(c.key, `stopped ${name}`);
      }
    }
  }
  // The node's address stays claimed while a control plane or broker bound to it runs.
  if (!['kube-apiserver', 'containerd', 'kafka'].some((d) => isAlive(readPid(d)))) releaseNodeClaim();
  if (names.length === 0 || wanted.length === components.length) {
    rmSync(infraFile, { force: true });
  } else {
    const state = readInfraState();
    for (const c of wanted) delete state[c.key];
    writeInfraState(state);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[infra] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
