import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { requireInfra } from '../../../infra/lib/state.ts';

const tools = requireInfra('tools');
const kube = requireInfra('kube');
const chart = join(repoRoot, 'test', 'fixtures', 'charts', 'smoke');
const namespace = `smoke-helm-${randomBytes(4).toString('hex')}`;

function run(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kube.kubeconfig },
  });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { parallelism?: number };
}

function render(args: string[]): Manifest[] {
  const out = run(tools.helm, ['template', 'demo', chart, '--namespace', 'team-a', ...args]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

describe('harness helm', () => {
  afterAll(() => {
    spawnSync(tools.kubectl, [
      '--kubeconfig',
      kube.kubeconfig,
      'delete',
      'namespace',
      namespace,
      '--wait=false',
    ]);
  });

  it('is the helm v3.19.5 built for Kubernetes 1.34', () => {
    expect(run(tools.helm, ['version', '--template', '{{.Version}}'])).toBe('v3.19.5');
  });

  it('renders the fixture chart with values, helpers, conditionals and capabilities', () => {
    const docs = render(['--set', 'greeting=bonjour', '--set', 'replicas=3', '--set', 'labels.team=risk']);
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Job']);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as Manifest;
    expect(cm.metadata).toMatchObject({ name: 'demo-smoke', namespace: 'team-a' });
    expect(cm.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'smoke',
      'app.kubernetes.io/instance': 'demo',
      team: 'risk',
    });
    // Without a cluster, .Capabilities comes from the client-go helm was built with (v0.34).
    expect(cm.data).toEqual({ greeting: 'bonjour', replicas: '3', kubeVersion: 'v1.34.0' });
    expect(docs.find((d) => d.kind === 'Job')?.spec?.parallelism).toBe(3);

    expect(render(['--set', 'replicas=0']).map((d) => d.kind)).toEqual(['ConfigMap']);
  });

  it('refuses a chart whose kubeVersion constraint the target does not meet', () => {
    const r = spawnSync(tools.helm, ['template', 'demo', chart, '--kube-version', 'v1.30.0'], {
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/kubeVersion|Kubernetes version/i);
  });

  it('installs into the harness cluster and reads its real version there', () => {
    run(tools.helm, [
      'install',
      'demo',
      chart,
      '--namespace',
      namespace,
      '--create-namespace',
      '--set',
      'replicas=0',
      '--wait',
      '--timeout',
      '60s',
    ]);
    const cm = JSON.parse(
      run(tools.kubectl, [
        '--kubeconfig',
        kube.kubeconfig,
        'get',
        'configmap',
        'demo-smoke',
        '-n',
        namespace,
        '-o',
        'json',
      ]),
    ) as Manifest;
    expect(cm.data?.kubeVersion).toBe('v1.34.4');
    expect(run(tools.helm, ['list', '-n', namespace, '-q']).trim()).toBe('demo');
    run(tools.helm, ['uninstall', 'demo', '-n', namespace, '--wait']);
    const gone = spawnSync(
      tools.kubectl,
      ['--kubeconfig', kube.kubeconfig, 'get', 'configmap', 'demo-smoke', '-n', namespace],
      {
        encoding: 'utf8',
      },
    );
    expect(gone.stderr).toMatch(/NotFound/);
  });
});
