/**
 * `make infra-up`: provisions and starts every server of the local harness on loopback,
 * reusing instances that already answer, and writes their connection details to .state/infra.json.
 * Usage: tsx infra/up.ts [component ...]   (default: all)
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { components, selectComponents } from './components/index.ts';
import { stateDir } from './lib/paths.ts';
import { progress } from './lib/process.ts';
import { type InfraState, readInfraState, writeInfraState } from './lib/state.ts';

async function main(): Promise<void> {
  const wanted = selectComponents(process.argv.slice(2)).filter((c) => c.enabled?.() ?? true);
  const started = Date.now();
  for (const c of wanted) {
    const t0 = Date.now();
    progress(c.key, 'provisioning');
    await c.provision();
    progress(c.key, `provisioned in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  const state: InfraState = readInfraState();
  // A component this checkout runs without (the node, when another checkout holds it) is not recorded.
  for (const c of selectComponents(process.argv.slice(2))) if (!(c.enabled?.() ?? true)) delete state[c.key];
  for (const c of wanted) {
    const current = state[c.key];
    // biome-ignore lint/suspicious/noExplicitAny: heterogeneous component list, checked by key
    if (current !== undefined && (await c.healthy(current as any))) {
      progress(c.key, 'already running, reused');
      continue;
    }
    const t0 = Date.now();
    progress(c.key, 'starting');
    // biome-ignore lint/suspicious/noExplicitAny: heterogeneous component list, checked by key
    (state as Record<string, unknown>)[c.key] = await c.start(state as any);
    writeInfraState(state);
    progress(c.key, `healthy in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  state.tools = linkTools();
  writeInfraState(state);
  progress(
    'all',
    `ready in ${((Date.now() - started) / 1000).toFixed(1)}s; details in ${join(stateDir, 'infra.json')}`,
  );
}

function linkTools(): NonNullable<InfraState['tools']> {
  const binDir = join(stateDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const all: Record<string, string> = {};
  for (const c of components) Object.assign(all, c.tools?.() ?? {});
  for (const [name, target] of Object.entries(all)) {
    const link = join(binDir, name);
    rmSync(link, { force: true });
    symlinkSync(target, link);
  }
  return {
    binDir,
    kubectl: join(binDir, 'kubectl'),
    helm: join(binDir, 'helm'),
    promtool: join(binDir, 'promtool'),
    kubeScore: join(binDir, 'kube-score'),
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`[infra] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
