import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIR, generatedFiles } from '../../../dashboards/generate.ts';

const root = join(import.meta.dirname, '..', '..', '..');

describe('dashboards/generated', () => {
  const files = generatedFiles();

  it.each(Object.keys(files))('%s is committed and matches the code (run dashboards/build.ts)', (path) => {
    expect(readFileSync(join(root, path), 'utf8')).toBe(files[path]);
  });

  it('holds nothing the build no longer produces', () => {
    const onDisk = readdirSync(join(root, GENERATED_DIR)).map((f) => `${GENERATED_DIR}/${f}`);
    expect(onDisk.sort()).toEqual(Object.keys(files).sort());
  });
});
