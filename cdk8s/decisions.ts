/**
 * The decision service Deployment (`credit-platform decision-service`): reads the applications and
 * verdicts topics, decides with the champion scorecard of spec.scoring.model, issues decision records
 * in the warehouse and publishes them on the decisions topic. Scaled by spec.decisions.replicas.
 */
import { Construct } from 'constructs';
import { ENV, PORTS } from '../api/env.ts';
import type { EnvVar, RenderContext } from './context.ts';
import { kafkaCertVolumes, platformContainer, platformPodSpec, type Volume } from './pod.ts';
import { mountChampionModel } from './scoring.ts';
import type { PipelineSecrets } from './secrets.ts';
import { deploymentWithService } from './workload.ts';

export class DecisionService extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const spec = ctx.spec.decisions;
    const certs = kafkaCertVolumes(ctx);
    const volumes: Volume[] = [...certs.volumes];
    const mounts = [...certs.mounts];
    const env: EnvVar[] = [
      ...ctx.kafkaEnv(),
      { name: ENV.verdictsTopic, value: ctx.spec.topics.verdicts },
      { name: ENV.decisionsTopic, value: ctx.spec.topics.decisions },
      secrets.databaseUrlEnv(ENV.databaseUrl),
      // Recorded as the run id of the decisions this pod issues.
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ];
    // The same champion as the scoring CronJob.
    mountChampionModel(ctx, volumes, mounts, env);
    const container = platformContainer(ctx, {
      subcommand: 'decision-service',
      env,
      resources: spec.resources,
      volumeMounts: mounts,
    });
    deploymentWithService(this, ctx, {
      name: ctx.names.decisionService,
      component: 'decision-service',
      part: 'workloads',
      replicas: spec.replicas,
      podSpec: platformPodSpec(ctx, [container], { volumes }),
      servicePorts: [{ name: 'metrics', port: PORTS.ops, targetPort: 'ops' }],
    });
  }
}
