/** `make infra-status`: each component, whether it answers, and where it listens. */
import { components } from './components/index.ts';
import { isAlive, readPid } from './lib/process.ts';
import { readInfraState } from './lib/state.ts';

async function main(): Promise<void> {
  const state = readInfraState();
  let allUp = true;
  for (const c of components) {
    const info = state[c.key];
    // biome-ignore lint/suspicious/noExplicitAny: heterogeneous component list, checked by key
    const up = info !== undefined && (await c.healthy(info as any).catch(() => false));
    allUp &&= up;
    const pids = c.daemons.map((d) => `${d}=${isAlive(readPid(d)) ? readPid(d) : 'stopped'}`).join(' ');
    process.stdout.write(`${up ? 'UP  ' : 'DOWN'} ${c.key.padEnd(11)} ${pids}\n`);
    if (up) process.stdout.write(`     ${JSON.stringify(info)}\n`);
  }
  process.exitCode = allUp ? 0 : 3;
}

void main();
