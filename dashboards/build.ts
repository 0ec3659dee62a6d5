/**
 * Writes the dashboards' JSON and the alert rules file to dashboards/generated/.
 * Run: `node --import tsx dashboards/build.ts` (from the repository root).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIR, generatedFiles } from './generate.ts';

const root = join(import.meta.dirname, '..');
const files = generatedFiles();
mkdirSync(join(root, GENERATED_DIR), { recursive: true });
for (const stale of readdirSync(join(root, GENERATED_DIR))) {
  if (!(`${GENERATED_DIR}/${stale}` in files)) rmSync(join(root, GENERATED_DIR, stale));
}
for (const [path, content] of Object.entries(files)) {
  writeFileSync(join(root, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
