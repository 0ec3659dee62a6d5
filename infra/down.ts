/** `make infra-down`: stops exactly the processes infra-up started, by their recorded PIDs. */
import { rmSync } from 'node:fs';
import { components } from './components/index.ts';
import { infraFile } from './lib/paths.ts';
import { progress, stopDaemon } from './lib/process.ts';

async function main(): Promise<void> {
  for (const c of [...components].reverse()) {
    for (const name of [...c.daemons].reverse()) {
      if (await stopDaemon(name)) progress(c.key, `stopped ${name}`);
    }
  }
  rmSync(infraFile, { force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`[infra] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
