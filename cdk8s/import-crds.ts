/**
 * Regenerates cdk8s/imports/ (typed constructs for third-party CRDs) with `cdk8s import`, from the
 * real CRDs the harness generates into test/fixtures/crds/ (Strimzi's crd-generator over io.strimzi:api).
 *
 *   node --import tsx cdk8s/import-crds.ts [path/to/kafkatopic-crd.yaml]
 *
 * The generated file is committed. It is post-processed for this project's TypeScript settings
 * (`verbatimModuleSyntax`: interfaces are imported with `import type`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'fixtures', 'crds');

function findKafkaTopicCrd(): string {
  const arg = process.argv[2];
  if (arg !== undefined) return arg;
  if (existsSync(fixtures)) {
    const hit = readdirSync(fixtures).find((f) => /kafkatopic/i.test(f) && /\.ya?ml$/.test(f));
    if (hit !== undefined) return join(fixtures, hit);
  }
  throw new Error(`no KafkaTopic CRD under ${fixtures}; pass its path`);
}

const crd = findKafkaTopicCrd();
const out = mkdtempSync(join(tmpdir(), 'cdk8s-import-'));
try {
  const r = spawnSync(
    join(root, 'node_modules', '.bin', 'cdk8s'),
    ['import', crd, '--output', out, '--language', 'typescript', '--no-class-prefix'],
    { encoding: 'utf8', cwd: out },
  );
  if (r.status !== 0) throw new Error(`cdk8s import failed:\n${r.stderr}${r.stdout}`);
  const source = readFileSync(join(out, 'kafka.strimzi.io.ts'), 'utf8').replace(
    "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';",
    "import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';",
  );
  const header = `// Imported from ${crd.replace(`${root}/`, '')} by cdk8s/import-crds.ts; do not edit.\n`;
  writeFileSync(join(root, 'cdk8s', 'imports', 'kafka.strimzi.io.ts'), header + source);
  process.stdout.write('wrote cdk8s/imports/kafka.strimzi.io.ts\n');
} finally {
  rmSync(out, { recursive: true, force: true });
}
