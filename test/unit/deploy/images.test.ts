/**
 * The Dockerfile and the kind config cannot be built or run on this machine (no Docker engine);
 * this checks that they parse and that the image agrees with what the operator renders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { IMAGE_ENTRYPOINT, IMAGE_GID, IMAGE_UID, IMAGE_WORKDIR, SUBCOMMANDS } from '../../../api/image.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { example, options } from '../cdk8s/fixtures.ts';

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions with line continuations joined; throws on an unknown keyword. */
function parseDockerfile(text: string): Instruction[] {
  const known = new Set([
    'FROM',
    'RUN',
    'CMD',
    'LABEL',
    'EXPOSE',
    'ENV',
    'ADD',
    'COPY',
    'ENTRYPOINT',
    'VOLUME',
    'USER',
    'WORKDIR',
    'ARG',
    'ONBUILD',
    'STOPSIGNAL',
    'HEALTHCHECK',
    'SHELL',
  ]);
  const out: Instruction[] = [];
  let stage = -1;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (m === null) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const keyword = (m[1] ?? '').toUpperCase();
    if (!known.has(keyword)) throw new Error(`unknown Dockerfile instruction ${keyword}`);
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2] ?? '', stage });
  }
  return out;
}

describe('platform image', () => {
  const instructions = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const final = instructions.filter((i) => i.stage === Math.max(...instructions.map((x) => x.stage)));

  it('is multi-stage and runs the final stage as the numeric non-root user the pods require', () => {
    expect(instructions.filter((i) => i.keyword === 'FROM').length).toBeGreaterThanOrEqual(2);
    expect(final.find((i) => i.keyword === 'USER')?.args).toBe(`${IMAGE_UID}:${IMAGE_GID}`);
    expect(final.find((i) => i.keyword === 'WORKDIR')?.args).toBe(IMAGE_WORKDIR);
  });

  it('has the entry point every rendered container command starts with', () => {
    const entrypoint = JSON.parse(final.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? 'null') as string[];
    expect(entrypoint).toEqual([...IMAGE_ENTRYPOINT]);
    const objects = renderCreditPipeline(example('creditpipeline.yaml'), options());
    const commands = objects.flatMap((o) => {
      const spec = (o as { spec?: Record<string, unknown> }).spec;
      const pod = (
        o.kind === 'CronJob'
          ? (spec?.jobTemplate as { spec?: { template?: { spec?: unknown } } } | undefined)?.spec?.template
              ?.spec
          : (spec?.template as { spec?: unknown } | undefined)?.spec
      ) as { containers?: Array<{ image?: string; command?: string[] }> } | undefined;
      return (pod?.containers ?? [])
        .filter((c) => c.image?.includes('credit-platform'))
        .map((c) => c.command ?? []);
    });
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const command of commands) {
      expect(command.slice(0, IMAGE_ENTRYPOINT.length)).toEqual([...IMAGE_ENTRYPOINT]);
      expect(SUBCOMMANDS).toContain(command[IMAGE_ENTRYPOINT.length]);
    }
  });

  it('builds every stage from the Node.js of .node-version, the one the Makefile installs', () => {
    const nodeVersion = readFileSync(join(repoRoot, '.node-version'), 'utf8').trim();
    expect(nodeVersion).toMatch(/^\d+\.\d+\.\d+$/);
    const base = instructions.find(
      (i) => i.keyword === 'ARG' && i.stage === -1 && i.args.startsWith('BASE='),
    );
    expect(base?.args).toBe(`BASE=node:${nodeVersion}-bookworm-slim`);
    for (const from of instructions.filter((i) => i.keyword === 'FROM')) {
      expect(from.args).toMatch(/^\$\{BASE\}( AS \w+)?$/);
    }
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    const major = nodeVersion.split('.')[0];
    expect(pkg.engines.node).toMatch(new RegExp(`^>=${major}\\.`));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^${major}\\.`));
  });

  it('builds the entry point the tsconfig compiles (dist/cli/main.js from cli/main.ts)', () => {
    const build = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    expect(build.include).toContain('cli');
    expect(IMAGE_ENTRYPOINT[1]).toBe('dist/cli/main.js');
  });
});

describe('kind config', () => {
  it('parses and pins Kubernetes 1.34 nodes', () => {
    const cfg = parseYaml(readFileSync(join(repoRoot, 'deploy', 'kind', 'cluster.yaml'), 'utf8')) as {
      kind: string;
      apiVersion: string;
      nodes: Array<{ role: string; image: string }>;
    };
    expect(cfg.kind).toBe('Cluster');
    expect(cfg.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(cfg.nodes.map((n) => n.role)).toContain('control-plane');
    for (const n of cfg.nodes) expect(n.image).toMatch(/^kindest\/node:v1\.34\./);
  });
});
