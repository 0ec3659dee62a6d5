/** The warehouse loader Deployment and the warehouse migration Job. */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { ENV, PORTS } from '../api/env.ts';
import { type RenderContext, shortHash } from './context.ts';
import { markPart } from './parts.ts';
import { kafkaCertVolumes, platformContainer, platformPodSpec } from './pod.ts';
import type { PipelineSecrets } from './secrets.ts';
import { deploymentWithService } from './workload.ts';

export class WarehouseLoader extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const spec = ctx.spec.warehouseLoader;
    const certs = kafkaCertVolumes(ctx);
    const container = platformContainer(ctx, {
      subcommand: 'warehouse-loader',
      env: [...ctx.kafkaEnv(), secrets.databaseUrlEnv(ENV.databaseUrl)],
      resources: spec.resources,
      volumeMounts: certs.mounts,
    });
    deploymentWithService(this, ctx, {
      name: ctx.names.warehouseLoader,
      component: 'warehouse-loader',
      part: 'workloads',
      replicas: spec.replicas,
      podSpec: platformPodSpec(ctx, [container], { volumes: certs.volumes }),
      servicePorts: [{ name: 'metrics', port: PORTS.ops, targetPort: 'ops' }],
    });
  }
}

/**
 * Applies the warehouse SQL migrations (idempotent). A Job's pod template is immutable, so the Job
 * is named after a hash of what it runs: a new platform version gets a new Job, and the operator
 * prunes the old one.
 */
export class WarehouseMigrationJob extends Construct {
  readonly jobName: string;

  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const dbEnv = secrets.databaseUrlEnv(ENV.databaseUrl);
    const env = [
      dbEnv,
      secrets.readerPasswordEnv(ENV.readerPassword),
      secrets.decisionReaderPasswordEnv(ENV.decisionReaderPassword),
    ].filter((e) => e !== undefined);
    this.jobName = `${ctx.names.warehouseMigrate}-${shortHash(ctx.platformImage, ...env.map((e) => JSON.stringify(e)))}`;
    const container = platformContainer(ctx, {
      subcommand: 'migrate',
      env,
      resources: ctx.spec.warehouseLoader.resources,
      probes: false,
    });
    const job = new k8s.KubeJob(this, 'job', {
      metadata: { name: this.jobName, labels: ctx.labels('warehouse-migrate') },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 900,
        template: {
          metadata: { labels: ctx.labels('warehouse-migrate') },
          spec: platformPodSpec(ctx, [container], { restartPolicy: 'OnFailure' }),
        },
      },
    });
    markPart(job, 'scoring');
  }
}
