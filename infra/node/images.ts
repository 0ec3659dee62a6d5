/**
 * The node's images: built by infra/provision/images.sh into docker-archive tars in the cache (a
 * warm cache builds nothing) and imported into the node's containerd when it lacks them.
 * Usage as a script: tsx infra/node/images.ts [platform|postgres|ferretdb ...]  builds and imports.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, repoRoot } from '../lib/paths.ts';
import { progress } from '../lib/process.ts';
import { readInfraState } from '../lib/state.ts';
import {
  corednsBuild,
  nodeBinaries,
  nodePaths,
  pauseVersion,
  prometheusOperatorVersion,
  prometheusVersion,
} from './config.ts';
import { upstreamFerretdb } from './ferretdb-upstream.ts';

export type NodeImage =
  | 'pause'
  | 'coredns'
  | 'platform'
  | 'postgres'
  | 'ferretdb'
  | 'prometheus-operator'
  | 'prometheus';

/** The platform image as the chart and the operator name it (charts/credit-platform: image, appVersion). */
export const PLATFORM_IMAGE = 'ghcr.io/creditplatform/credit-platform:0.1.0';

export interface BuiltImage {
  tar: string;
  ref: string;
}

/** Builds (when its inputs changed) one image; returns its tar and reference. */
export function buildImage(image: NodeImage): BuiltImage {
  const script = join(repoRoot, 'infra', 'provision', 'images.sh');
  const args: Record<NodeImage, string[]> = {
    pause: ['pause', pauseVersion],
    coredns: ['coredns', corednsBuild],
    platform: ['platform', repoRoot, PLATFORM_IMAGE],
    postgres: ['postgres', repoRoot],
    ferretdb: ['ferretdb', repoRoot, image === 'ferretdb' ? upstreamFerretdb() : ''],
    'prometheus-operator': ['prometheus-operator', repoRoot, prometheusOperatorVersion],
    prometheus: [
      'prometheus',
      repoRoot,
      join(cacheDir, `prometheus-${prometheusVersion}`, 'bin', 'prometheus'),
    ],
  };
  const out = execFileSync('bash', [script, cacheDir, ...args[image]], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const [tar, ref] = out.split('\n').at(-1)?.split(' ') ?? [];
  if (tar === undefined || ref === undefined) throw new Error(`images.sh ${image} printed no image: ${out}`);
  return { tar, ref };
}

function ctr(args: readonly string[], timeout = 300_000): string {
  return execFileSync(
    nodeBinaries.ctr,
    ['--address', nodePaths.containerdSocket, '--namespace', 'k8s.io', ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
    },
  );
}

/** Names one build of an image: its tar's name, a hash of its inputs (the tag stays the same). */
export function imageSourceLabel(image: BuiltImage): string {
  return (image.tar.split('/').at(-1) ?? '').replace(/\.tar$/, '');
}

/** Imports the image into the node's containerd unless it holds that reference already. */
export function importImage(image: BuiltImage): boolean {
  const present = ctr(['images', 'ls', '-q']).split('\n');
  // The tar's name is a hash of its inputs: a reference whose content changed is re-imported.
  const label = `credit-platform.local/source=${image.tar.split('/').at(-1) ?? ''}`;
  if (present.includes(image.ref)) {
    const labels = ctr(['images', 'ls', `name==${image.ref}`]);
    if (labels.includes(label)) return false;
  }
  const t0 = Date.now();
  ctr(['images', 'import', '--local', image.tar]);
  ctr(['images', 'label', image.ref, label]);
  progress('node', `imported ${image.ref} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return true;
}

/** Builds and imports the given images into the running node; returns their references. */
export function ensureImages(images: readonly NodeImage[]): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const i of images) {
    const built = buildImage(i);
    importImage(built);
    refs[i] = built.ref;
  }
  return refs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wanted = process.argv.slice(2) as NodeImage[];
  if (readInfraState().node === undefined) {
    process.stderr.write('[infra] images: the node is not running here (make infra-up); building only\n');
    for (const i of wanted.length > 0 ? wanted : (['platform'] as NodeImage[]))
      process.stdout.write(`${buildImage(i).ref}\n`);
  } else {
    const refs = ensureImages(wanted.length > 0 ? wanted : ['platform']);
    for (const r of Object.values(refs)) process.stdout.write(`${r}\n`);
  }
}
