/**
 * Scheduled credit-risk scoring: a CronJob of Indexed Jobs. Each of `parallelism` indexes scores
 * one shard (JOB_COMPLETION_INDEX of SHARD_COUNT), so completions = parallelism.
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { parseDurationSeconds } from '../api/duration.ts';
import { ENV, MOUNTS } from '../api/env.ts';
import type { EnvVar, RenderContext } from './context.ts';
import { markPart } from './parts.ts';
import { platformContainer, platformPodSpec, type Volume, type VolumeMount } from './pod.ts';
import type { PipelineSecrets } from './secrets.ts';

/** CHALLENGER_MODEL_FILE value that turns the scorer's built-in challenger off. */
export const NO_CHALLENGER = 'none';

/**
 * The champion scorecard from spec.scoring.model (when it names a ConfigMap): its volume, mount and
 * MODEL_FILE. One definition for every pod that scores with the champion (the scoring CronJob, the
 * decision service); without a ConfigMap the built-in scorecard is used.
 */
export function mountChampionModel(
  ctx: RenderContext,
  volumes: Volume[],
  mounts: VolumeMount[],
  env: EnvVar[],
): void {
  const model = ctx.spec.scoring.model.configMapRef;
  if (model === undefined) return;
  volumes.push({
    name: 'model',
    configMap: { name: model.name, items: [{ key: model.key, path: model.key }] },
  });
  mounts.push({ name: 'model', mountPath: MOUNTS.modelDir, readOnly: true });
  env.push({ name: ENV.modelFile, value: `${MOUNTS.modelDir}/${model.key}` });
}

export class ScoringCronJob extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const spec = ctx.spec.scoring;
    const volumes: Volume[] = [];
    const mounts: VolumeMount[] = [];
    const env: EnvVar[] = [
      secrets.databaseUrlEnv(ENV.databaseUrl),
      { name: ENV.shardCount, value: String(spec.parallelism) },
      // Every index of one Job records itself under the same run: the Job's name.
      {
        name: ENV.runId,
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } },
      },
    ];
    mountChampionModel(ctx, volumes, mounts, env);
    // With the decision service on, first decisions are the stream's; the batch decides only what it
    // could not (workloads/warehouse/decision-authority.ts). With it off, the batch decides everything.
    if (ctx.spec.decisions.replicas > 0)
      env.push({
        name: ENV.scorerDecisionGraceSeconds,
        value: String(parseDurationSeconds(ctx.spec.decisions.batchFallbackAfter)),
      });
    const challenger = spec.challenger;
    if (challenger === undefined) {
      env.push({ name: ENV.challengerModelFile, value: NO_CHALLENGER });
    } else if (challenger.configMapRef !== undefined) {
      const ref = challenger.configMapRef;
      volumes.push({
        name: 'challenger',
        configMap: { name: ref.name, items: [{ key: ref.key, path: ref.key }] },
      });
      mounts.push({ name: 'challenger', mountPath: MOUNTS.challengerDir, readOnly: true });
      env.push({ name: ENV.challengerModelFile, value: `${MOUNTS.challengerDir}/${ref.key}` });
    }
    const container = platformContainer(ctx, {
      subcommand: 'risk-scorer',
      env,
      resources: spec.resources,
      volumeMounts: mounts,
      probes: false,
    });
    const labels = ctx.labels('risk-scorer');
    const cronJob = new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: ctx.names.riskScorer, labels },
      spec: {
        schedule: spec.schedule,
        ...(spec.timeZone === undefined ? {} : { timeZone: spec.timeZone }),
        suspend: spec.suspend,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            completionMode: 'Indexed',
            completions: spec.parallelism,
            parallelism: spec.parallelism,
            backoffLimitPerIndex: 2,
            maxFailedIndexes: 0,
            activeDeadlineSeconds: parseDurationSeconds(spec.activeDeadline),
            ttlSecondsAfterFinished: 86_400,
            template: {
              metadata: { labels },
              spec: platformPodSpec(ctx, [container], { volumes, restartPolicy: 'Never' }),
            },
          },
        },
      },
    });
    markPart(cronJob, 'scoring');
  }
}
