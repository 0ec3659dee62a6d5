/**
 * The node's volume provisioner, a local-path style one: every PersistentVolumeClaim of the
 * `credit-local` StorageClass (the default class) gets a folder under .state/node/volumes and a
 * `local` PersistentVolume bound to it and pinned to the node; when the claim is deleted the
 * volume and its folder go (reclaim policy Delete). A `local` volume, unlike hostPath, gets the
 * pod's fsGroup applied by the kubelet, so a store running as its own uid owns its data.
 * Runs as a daemon of the node component: tsx infra/node/volume-provisioner.ts <kubeconfig>.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import { NODE_NAME, nodePaths } from './config.ts';

export const STORAGE_CLASS = 'credit-local';
export const PROVISIONER = 'credit-platform.local/local-volume';

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** The PersistentVolume for one claim: a folder of its own, on the node. */
export function volumeFor(claim: V1PersistentVolumeClaim, path: string): V1PersistentVolume {
  const uid = claim.metadata?.uid ?? '';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: `pvc-${uid}`,
      annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER },
      labels: { 'credit-platform.local/provisioned': 'true' },
    },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: STORAGE_CLASS,
      volumeMode: 'Filesystem',
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata?.namespace,
        name: claim.metadata?.name,
        uid,
      },
      local: { path },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE_NAME] }] },
          ],
        },
      },
    },
  };
}

async function reconcile(api: CoreV1Api): Promise<void> {
  const [claims, volumes] = await Promise.all([
    api.listPersistentVolumeClaimForAllNamespaces(),
    api.listPersistentVolume({ labelSelector: 'credit-platform.local/provisioned=true' }),
  ]);
  const existing = new Set(volumes.items.map((v) => v.metadata?.name));
  for (const claim of claims.items) {
    const cls = claim.spec?.storageClassName;
    if (cls !== STORAGE_CLASS || claim.status?.phase !== 'Pending' || claim.spec?.volumeName) continue;
    const name = `pvc-${claim.metadata?.uid}`;
    if (existing.has(name)) continue;
    const path = join(
      nodePaths.volumes,
      `${claim.metadata?.namespace}_${claim.metadata?.name}_${claim.metadata?.uid}`,
    );
    mkdirSync(path, { recursive: true, mode: 0o777 });
    try {
      await api.createPersistentVolume({ body: volumeFor(claim, path) });
      log(`provisioned ${name} for ${claim.metadata?.namespace}/${claim.metadata?.name} at ${path}`);
    } catch (err) {
      log(`could not create ${name}: ${String(err)}`);
    }
  }
  for (const v of volumes.items) {
    const phase = v.status?.phase;
    if (phase !== 'Released' && phase !== 'Failed') continue;
    const path = v.spec?.local?.path;
    if (path?.startsWith(`${nodePaths.volumes}/`)) rmSync(path, { recursive: true, force: true });
    try {
      await api.deletePersistentVolume({ name: v.metadata?.name ?? '' });
      log(`deleted ${v.metadata?.name} (claim gone) and its folder`);
    } catch (err) {
      log(`could not delete ${v.metadata?.name}: ${String(err)}`);
    }
  }
}

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (kubeconfig === undefined) throw new Error('usage: volume-provisioner.ts <kubeconfig>');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  mkdirSync(nodePaths.volumes, { recursive: true });
  log(`provisioning ${STORAGE_CLASS} volumes under ${nodePaths.volumes}`);
  for (;;) {
    try {
      await reconcile(api);
    } catch (err) {
      log(`reconcile failed: ${String(err)}`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

if (process.argv[1]?.endsWith('volume-provisioner.ts')) {
  main().catch((err: unknown) => {
    log(`fatal: ${String(err)}`);
    process.exit(1);
  });
}
