import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeDashboards } from '../../../dashboards/compose.ts';
import { GENERATED_DIR, generatedFiles } from '../../../dashboards/generate.ts';
import { buildDashboards } from '../../../dashboards/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');

describe('dashboards/generated', () => {
  const files = generatedFiles();

  it.each(Object.keys(files))('%s is committed and matches the code (run dashboards/build.ts)', (path) => {
    expect(readFileSync(join(root, path), 'utf8')).toBe(files[path]);
  });

  it('is what buildDashboards() serves: the dashboards the SDK code builds', () => {
    expect(buildDashboards()).toEqual(composeDashboards());
  });

  it('is served without the SDK: nothing dashboards/index.ts imports at run time pulls in @grafana/*', () => {
    // The image prunes devDependencies (the SDK is one); the operator imports dashboards/index.ts.
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
        const [, typeOnly, spec] = m;
        if (typeOnly !== undefined) continue;
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^@grafana\//);
        if (spec!.startsWith('.')) visit(join(dirname(file), spec!));
      }
    };
    visit(join(root, 'dashboards', 'index.ts'));
    expect(seen.size).toBeGreaterThan(3);
  });

  it('holds nothing the build no longer produces', () => {
    const onDisk = readdirSync(join(root, GENERATED_DIR)).map((f) => `${GENERATED_DIR}/${f}`);
    expect(onDisk.sort()).toEqual(Object.keys(files).sort());
  });
});
