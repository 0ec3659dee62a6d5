/**
 * Writes the CreditPipeline CRD (crds/creditplatform.dev_creditpipelines.yaml), its copy in the
 * chart, and the chart's operator alert rules. `--check` writes nothing and exits 1 when a committed file differs from the generated one.
 *
 *   node --import tsx cdk8s/generate-crd.ts [--check]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './crd.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const [rel, yaml] of Object.entries(generatedFiles())) {
  const path = join(root, rel);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === yaml) continue;
  if (check) {
    process.stderr.write(`${rel} is out of date: run 'make crds'\n`);
    stale++;
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, yaml);
  process.stdout.write(`wrote ${rel}\n`);
}
process.exit(stale === 0 ? 0 : 1);
