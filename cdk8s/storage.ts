/**
 * Managed stores: PostgreSQL (the warehouse) and FerretDB (the MongoDB-wire alert store, SQLite
 * backend on its own volume), each a one-replica StatefulSet with a PVC template and a headless Service.
 * Nothing is rendered for a store configured as external.
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { PORTS } from '../api/env.ts';
import type { Component } from '../api/labels.ts';
import type { ManagedStoreSpec } from '../api/v1alpha1.ts';
import { WAREHOUSE_DATABASE, WAREHOUSE_OWNER } from '../api/warehouse.ts';
import type { RenderContext } from './context.ts';
import { markPart } from './parts.ts';
import {
  type Container,
  emptyDir,
  PROBE_TIMEOUT_SECONDS,
  port,
  pullSecrets,
  resourcesOf,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  TMP_VOLUME,
  type Volume,
} from './pod.ts';

const DATA_VOLUME = 'data';

interface StoreProps {
  name: string;
  component: Component;
  managed: ManagedStoreSpec;
  container: Container;
  port: { name: string; port: number };
  volumes: Volume[];
}

function managedStore(scope: Construct, ctx: RenderContext, p: StoreProps): void {
  const labels = ctx.labels(p.component);
  const selector = ctx.selector(p.component);
  new k8s.KubeService(scope, 'service', {
    metadata: { name: p.name, labels },
    spec: {
      clusterIp: 'None',
      selector,
      ports: [
        {
          name: p.port.name,
          port: p.port.port,
          targetPort: k8s.IntOrString.fromString(p.port.name),
          protocol: 'TCP',
        },
      ],
    },
  });
  const statefulSet = new k8s.KubeStatefulSet(scope, 'statefulset', {
    metadata: { name: p.name, labels },
    spec: {
      serviceName: p.name,
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          containers: [p.container],
          volumes: [TMP_VOLUME, ...p.volumes],
          securityContext: {
            ...restrictedPodSecurity(
              p.managed.securityContext.runAsUser,
              p.managed.securityContext.runAsGroup,
            ),
            fsGroup: p.managed.securityContext.fsGroup,
          },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          ...pullSecrets(ctx),
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_VOLUME, labels: ctx.selector(p.component) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(p.managed.storageClassName === undefined
              ? {}
              : { storageClassName: p.managed.storageClassName }),
            resources: { requests: { storage: k8s.Quantity.fromString(p.managed.size) } },
          },
        },
      ],
    },
  });
  markPart(statefulSet, 'storage');
}

export class ManagedPostgres extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const managed = ctx.spec.storage.postgres.managed;
    if (managed === undefined) return;
    const secret = ctx.names.postgresSecret;
    const fromSecret = (name: string, key: string) => ({
      name,
      valueFrom: { secretKeyRef: { name: secret, key } },
    });
    const ready = {
      exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', WAREHOUSE_OWNER, '-d', WAREHOUSE_DATABASE] },
    };
    const container: Container = {
      name: 'postgres',
      image: ctx.spec.images.postgres,
      imagePullPolicy: ctx.spec.images.pullPolicy,
      env: [
        fromSecret('POSTGRES_USER', 'username'),
        fromSecret('POSTGRES_PASSWORD', 'password'),
        fromSecret('POSTGRES_DB', 'database'),
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
      ],
      ports: [{ name: 'postgres', containerPort: PORTS.postgres, protocol: 'TCP' }],
      volumeMounts: [
        { name: DATA_VOLUME, mountPath: '/var/lib/postgresql/data' },
        { name: 'run', mountPath: '/var/run/postgresql' },
        { name: 'tmp', mountPath: '/tmp' },
      ],
      resources: resourcesOf(managed.resources),
      startupProbe: {
        ...ready,
        periodSeconds: 2,
        timeoutSeconds: PROBE_TIMEOUT_SECONDS,
        failureThreshold: 90,
      },
      readinessProbe: { ...ready, periodSeconds: 5, timeoutSeconds: PROBE_TIMEOUT_SECONDS },
      livenessProbe: {
        tcpSocket: { port: port('postgres') },
        periodSeconds: 10,
        timeoutSeconds: PROBE_TIMEOUT_SECONDS,
        failureThreshold: 6,
      },
      securityContext: restrictedContainerSecurity(true),
    };
    managedStore(this, ctx, {
      name: ctx.names.postgres,
      component: 'postgres',
      managed,
      container,
      port: { name: 'postgres', port: PORTS.postgres },
      volumes: [emptyDir('run', '16Mi')],
    });
  }
}

const ferretdbProbe = (path: string): k8s.Probe => ({ httpGet: { path, port: port('metrics') } });

export class ManagedMongo extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const managed = ctx.spec.storage.mongo.managed;
    if (managed === undefined) return;
    const container: Container = {
      name: 'ferretdb',
      image: ctx.spec.images.ferretdb,
      imagePullPolicy: ctx.spec.images.pullPolicy,
      env: [
        { name: 'FERRETDB_HANDLER', value: 'sqlite' },
        { name: 'FERRETDB_SQLITE_URL', value: 'file:/state/' },
        { name: 'FERRETDB_LISTEN_ADDR', value: `:${PORTS.mongo}` },
        { name: 'FERRETDB_DEBUG_ADDR', value: `:${PORTS.ferretdbDebug}` },
        { name: 'FERRETDB_TELEMETRY', value: 'disable' },
      ],
      ports: [
        { name: 'mongo', containerPort: PORTS.mongo, protocol: 'TCP' },
        { name: 'metrics', containerPort: PORTS.ferretdbDebug, protocol: 'TCP' },
      ],
      volumeMounts: [
        { name: DATA_VOLUME, mountPath: '/state' },
        { name: 'tmp', mountPath: '/tmp' },
      ],
      resources: resourcesOf(managed.resources),
      // FerretDB's debug handler (FERRETDB_DEBUG_ADDR, checked against the upstream binary in
      // test/integration/managed-stores): /debug/livez answers 200 while the wire listener is up,
      // /debug/readyz too (its ping needs --setup-database, which 1.24 allows only with the
      // experimental new auth). Readiness fails after 10 s, liveness after 60 s, so a slow store
      // leaves rotation long before it is restarted.
      startupProbe: {
        ...ferretdbProbe('/debug/livez'),
        periodSeconds: 2,
        timeoutSeconds: PROBE_TIMEOUT_SECONDS,
        failureThreshold: 60,
      },
      readinessProbe: {
        ...ferretdbProbe('/debug/readyz'),
        periodSeconds: 5,
        timeoutSeconds: PROBE_TIMEOUT_SECONDS,
        failureThreshold: 2,
      },
      livenessProbe: {
        ...ferretdbProbe('/debug/livez'),
        periodSeconds: 10,
        timeoutSeconds: PROBE_TIMEOUT_SECONDS,
        failureThreshold: 6,
      },
      securityContext: restrictedContainerSecurity(true),
    };
    managedStore(this, ctx, {
      name: ctx.names.mongo,
      component: 'mongo',
      managed,
      container,
      port: { name: 'mongo', port: PORTS.mongo },
      volumes: [],
    });
  }
}
