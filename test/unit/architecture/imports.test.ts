import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cycles,
  type Edge,
  importGraph,
  importsOf,
  LAYERS,
  layerViolations,
  sourceFiles,
} from './import-graph.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the import graph', () => {
  const edges = importGraph(root);

  it('reads the whole project', () => {
    const files = sourceFiles(root);
    for (const folder of Object.keys(LAYERS))
      expect(
        files.some((f) => f.startsWith(`${folder}/`)),
        folder,
      ).toBe(true);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('has no import pointing up a layer or across peers (docs/architecture.md)', () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it('api/ imports nothing of the project but lib/ and itself', () => {
    const apiImports = edges.filter((e) => e.from.startsWith('api/')).map((e) => e.to.split('/')[0]);
    expect([...new Set(apiImports)].filter((f) => f !== 'api' && f !== 'lib')).toEqual([]);
  });

  it('has no cycle', () => {
    expect(cycles(edges)).toEqual([]);
  });
});

describe('the import checker', () => {
  it('resolves static, re-exported, type-only and dynamic imports, and ignores packages', () => {
    const source = [
      "import { a } from '../api/names.ts';",
      "import type { B } from './b.ts';",
      "export { c } from '../lib/c.ts';",
      "const d = await import('../workloads/d.ts');",
      "import { Type } from '@sinclair/typebox';",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importsOf('cdk8s/x.ts', source).sort()).toEqual([
      'api/names.ts',
      'cdk8s/b.ts',
      'lib/c.ts',
      'workloads/d.ts',
    ]);
  });

  it('flags an upward import, an import between peers, and one out of the layers', () => {
    const edges: Edge[] = [
      { from: 'cdk8s/topics.ts', to: 'api/names.ts' },
      { from: 'cdk8s/context.ts', to: 'operator/api/v1alpha1.ts' },
      { from: 'workloads/x.ts', to: 'dashboards/y.ts' },
      { from: 'test/a.ts', to: 'demo/b.ts' },
      { from: 'api/x.ts', to: 'docs/y.ts' },
    ];
    expect(layerViolations(edges)).toEqual([
      'cdk8s/context.ts -> operator/api/v1alpha1.ts: cdk8s/ (layer 3) imports operator/ (layer 4), which is above it',
      'workloads/x.ts -> dashboards/y.ts: workloads/ and dashboards/ are peers (layer 2) and may not import each other',
      'api/x.ts -> docs/y.ts: docs/ has no layer',
    ]);
  });

  it('finds a cycle through several files, and a file importing itself', () => {
    const edges: Edge[] = [
      { from: 'cdk8s/render.ts', to: 'cdk8s/context.ts' },
      { from: 'cdk8s/context.ts', to: 'cdk8s/pod.ts' },
      { from: 'cdk8s/pod.ts', to: 'cdk8s/render.ts' },
      { from: 'cdk8s/pod.ts', to: 'api/labels.ts' },
      { from: 'lib/a.ts', to: 'lib/a.ts' },
    ];
    expect(cycles(edges)).toEqual([['cdk8s/context.ts', 'cdk8s/pod.ts', 'cdk8s/render.ts'], ['lib/a.ts']]);
  });
});
