/**
 * Regenerates cdk8s/imports/ (typed constructs for third-party CRDs) with `cdk8s import`, from the
 * real CRDs the harness generates into test/fixtures/crds/ (Strimzi's crd-generator over
 * io.strimzi:api; controller-gen over prometheus-operator's API module).
 *
 *   node --import tsx cdk8s/import-crds.ts
 *
 * The generated files are committed. They are post-processed for this project's TypeScript
 * settings (`verbatimModuleSyntax`: interfaces are imported with `import type`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = 'test/fixtures/crds';

/** One generated module per API group, from the CRDs of the kinds the constructs render. */
const IMPORTS: Record<string, string[]> = {
  'kafka.strimzi.io': ['kafka.strimzi.io_kafkatopics.yaml'],
  'monitoring.coreos.com': [
    'monitoring.coreos.com_servicemonitors.yaml',
    'monitoring.coreos.com_prometheusrules.yaml',
  ],
};

const work = mkdtempSync(join(tmpdir(), 'cdk8s-import-'));
try {
  for (const [group, files] of Object.entries(IMPORTS)) {
    const input = join(work, `${group}.yaml`);
    writeFileSync(input, files.map((f) => readFileSync(join(root, fixtures, f), 'utf8')).join('\n---\n'));
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'cdk8s'),
      ['import', input, '--output', join(work, 'out'), '--language', 'typescript'],
      { encoding: 'utf8', cwd: work },
    );
    if (r.status !== 0) throw new Error(`cdk8s import ${group} failed:\n${r.stderr}${r.stdout}`);
    const source = readFileSync(join(work, 'out', `${group}.ts`), 'utf8').replace(
      "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';",
      "import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';",
    );
    const from = files.map((f) => `${fixtures}/${f}`).join(', ');
    writeFileSync(
      join(root, 'cdk8s', 'imports', `${group}.ts`),
      `// Imported from ${from} by cdk8s/import-crds.ts; do not edit.\n${source}`,
    );
    process.stdout.write(`wrote cdk8s/imports/${group}.ts\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
