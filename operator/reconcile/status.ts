/**
 * The CreditPipeline's status, computed from what the informers observed. Pure: the reconciler
 * gathers the inputs, this module decides the conditions, and `status-writer.ts` sends the result
 * through `/status` only when it differs from what the object already says.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  COMPONENT_LABEL,
  type Condition,
  type CreditPipeline,
  type CreditPipelineStatus,
  type ScoringRunStatus,
} from '../../api/v1alpha1.ts';
import type { KubeObject } from '../../cdk8s/options.ts';
import type { ReadinessMode } from '../config.ts';
import { childKey } from './apply.ts';
import { type ConditionUpdate, initialConditions, setCondition, sortConditions } from './conditions.ts';
import { childReadiness } from './readiness.ts';

export type Part = 'topics' | 'storage' | 'detector' | 'scoring' | 'monitoring' | 'workloads';

/** Which part a desired child belongs to (or undefined: Secrets, Services, ConfigMaps, policies). */
export function partOf(obj: {
  kind: string;
  metadata: { labels?: Record<string, string> };
}): Part | undefined {
  const component = obj.metadata.labels?.[COMPONENT_LABEL];
  switch (obj.kind) {
    case 'KafkaTopic':
      return 'topics';
    case 'StatefulSet':
      return 'storage';
    case 'CronJob':
      return 'scoring';
    case 'Job':
      return component === 'warehouse-migrate' ? 'scoring' : undefined;
    case 'ServiceMonitor':
    case 'PrometheusRule':
      return 'monitoring';
    case 'Deployment':
      return component === 'fraud-detector' ? 'detector' : 'workloads';
    default:
      return undefined;
  }
}

/** Outcome of direct topic management through the Kafka admin API. */
export type DirectTopicsOutcome =
  | { ok: true; topics: string[] }
  | { ok: false; reason: string; message: string };

export interface StatusInputs {
  cp: CreditPipeline;
  mode: ReadinessMode;
  /** Render output; null when rendering failed. */
  desired: KubeObject[] | null;
  /** Desired-hash per child key, as applied. */
  expectedHashes: ReadonlyMap<string, string>;
  /** Children observed in the informer caches, by child key. */
  observed: ReadonlyMap<string, KubernetesObject>;
  /** Jobs created by the scoring CronJob. */
  scoringJobs: KubernetesObject[];
  strimziInstalled: boolean;
  monitoringInstalled: boolean;
  directTopics?: DirectTopicsOutcome;
  /** Problems of this reconcile, for Degraded: render, apply, topic errors. */
  problems: Array<{ reason: string; message: string }>;
  detectorName: string;
}

interface PartVerdict {
  ready: boolean;
  reason: string;
  message: string;
}

function evaluate(
  objs: KubeObject[],
  inputs: StatusInputs,
  readyReason: string,
  waitingReason: string,
): PartVerdict {
  const waiting: string[] = [];
  for (const d of objs) {
    const key = childKey(d);
    const what = `${d.kind} ${d.metadata.name}`;
    const r = childReadiness(inputs.observed.get(key), inputs.expectedHashes.get(key), inputs.mode, what);
    if (!r.ready) waiting.push(r.message);
  }
  if (waiting.length === 0)
    return {
      ready: true,
      reason: readyReason,
      message: `${objs.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')} ready`,
    };
  return { ready: false, reason: waitingReason, message: waiting.join('; ') };
}

/** The newest finished Job of the scoring CronJob. */
export function lastScoringRun(jobs: KubernetesObject[]): ScoringRunStatus | undefined {
  let best: ScoringRunStatus | undefined;
  for (const j of jobs) {
    const job = j as KubernetesObject & {
      status?: {
        completionTime?: string;
        conditions?: Array<{
          type?: string;
          status?: string;
          lastTransitionTime?: string;
          message?: string;
          reason?: string;
        }>;
      };
    };
    const conds = job.status?.conditions ?? [];
    const complete = conds.find((c) => c.type === 'Complete' && c.status === 'True');
    const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
    const finished = complete ?? failed;
    if (finished === undefined) continue;
    const time = (complete ? job.status?.completionTime : undefined) ?? finished.lastTransitionTime;
    if (time === undefined) continue;
    const run: ScoringRunStatus = {
      time,
      result: complete ? 'Succeeded' : 'Failed',
      jobName: job.metadata?.name ?? '',
      ...(failed ? { message: failed.message ?? failed.reason ?? 'failed' } : {}),
    };
    if (best === undefined || Date.parse(run.time) > Date.parse(best.time)) best = run;
  }
  return best;
}

export function computeStatus(inputs: StatusInputs, now: Date): CreditPipelineStatus {
  const { cp } = inputs;
  const generation = cp.metadata.generation;
  const prev = cp.status ?? {};
  let conditions: Condition[] =
    prev.conditions && prev.conditions.length > 0 ? [...prev.conditions] : initialConditions(generation, now);
  const set = (u: ConditionUpdate) => {
    conditions = setCondition(conditions, u, generation, now);
  };
  const byPart = new Map<Part, KubeObject[]>();
  for (const d of inputs.desired ?? []) {
    const p = partOf(d);
    if (p !== undefined) byPart.set(p, [...(byPart.get(p) ?? []), d]);
  }
  const parts = (p: Part) => byPart.get(p) ?? [];
  const rendered = inputs.desired !== null;
  const spec = cp.spec;

  // Topics
  let topics: PartVerdict;
  if (spec.kafka.topicManagement === 'direct') {
    const d = inputs.directTopics;
    topics =
      d === undefined
        ? { ready: false, reason: 'Reconciling', message: 'Topics have not been checked yet.' }
        : d.ok
          ? {
              ready: true,
              reason: 'TopicsCreated',
              message: `Topics ${d.topics.join(', ')} exist (managed through the Kafka admin API).`,
            }
          : { ready: false, reason: d.reason, message: d.message };
  } else if (!inputs.strimziInstalled) {
    topics = {
      ready: false,
      reason: 'StrimziNotInstalled',
      message:
        'The Strimzi KafkaTopic API (kafka.strimzi.io/v1beta2) is not installed, so no topics were created. Install Strimzi, or set spec.kafka.topicManagement: direct with spec.kafka.bootstrapServers.',
    };
  } else {
    topics = evaluate(parts('topics'), inputs, 'TopicsReady', 'TopicsNotReady');
  }

  const storageObjs = parts('storage');
  const storage: PartVerdict =
    storageObjs.length === 0
      ? {
          ready: true,
          reason: 'ExternalStorage',
          message: 'PostgreSQL and MongoDB are external; their URLs come from the referenced Secrets.',
        }
      : evaluate(storageObjs, inputs, 'StorageReady', 'StorageNotReady');

  const detectorObjs = parts('detector');
  const detector: PartVerdict =
    detectorObjs.length === 0
      ? { ready: false, reason: 'NotRendered', message: 'The fraud detector Deployment was not rendered.' }
      : evaluate(detectorObjs, inputs, 'DetectorReady', 'DetectorNotReady');

  const last = lastScoringRun(inputs.scoringJobs) ?? prev.lastScoring;
  let scoring = evaluate(
    parts('scoring'),
    inputs,
    spec.scoring.suspend ? 'ScoringSuspended' : 'ScheduleActive',
    'ScoringNotReady',
  );
  if (scoring.ready && spec.scoring.suspend)
    scoring = { ...scoring, message: 'Scheduled scoring is suspended (spec.scoring.suspend).' };
  else if (scoring.ready)
    scoring = { ...scoring, message: `Scoring runs on schedule "${spec.scoring.schedule}".` };
  if (scoring.ready && last?.result === 'Failed')
    scoring = {
      ready: false,
      reason: 'LastRunFailed',
      message: `The last scoring run (${last.jobName ?? 'unknown Job'}) failed: ${last.message ?? ''}`.trim(),
    };

  const m = spec.monitoring;
  let monitoring: PartVerdict;
  if (!m.serviceMonitor && !m.prometheusRule) {
    monitoring = {
      ready: true,
      reason: 'Disabled',
      message: 'ServiceMonitors and PrometheusRules are turned off in the spec.',
    };
  } else if (!inputs.monitoringInstalled) {
    monitoring = {
      ready: false,
      reason: 'PrometheusOperatorNotInstalled',
      message:
        'The prometheus-operator CRDs (monitoring.coreos.com/v1) are not installed: ServiceMonitors and PrometheusRules were skipped. Dashboards and the rest of the pipeline are unaffected.',
    };
  } else {
    monitoring = evaluate(parts('monitoring'), inputs, 'MonitoringConfigured', 'MonitoringNotReady');
  }

  const workloads = evaluate(parts('workloads'), inputs, 'WorkloadsReady', 'WorkloadsNotReady');

  if (!rendered) {
    // Nothing new to say about the parts: keep them, but say why.
  } else {
    const put = (type: ConditionUpdate['type'], v: PartVerdict) =>
      set({ type, status: v.ready ? 'True' : 'False', reason: v.reason, message: v.message });
    put('TopicsReady', topics);
    put('StorageReady', storage);
    put('DetectorReady', detector);
    put('ScoringReady', scoring);
    put('MonitoringReady', monitoring);
  }

  const degraded = inputs.problems.length > 0;
  if (degraded) {
    const first = inputs.problems[0] as { reason: string; message: string };
    set({
      type: 'Degraded',
      status: 'True',
      reason: first.reason,
      message: inputs.problems.map((p) => p.message).join('; '),
    });
  } else {
    set({
      type: 'Degraded',
      status: 'False',
      reason: 'AsExpected',
      message: 'The last reconcile applied the spec without errors.',
    });
  }

  const essential: Array<[string, PartVerdict]> = [
    ['topics', topics],
    ['storage', storage],
    ['fraud detector', detector],
    ['scoring', scoring],
    ['workloads', workloads],
  ];
  const notReady = essential.filter(([, v]) => !v.ready);
  if (degraded) {
    set({
      type: 'Ready',
      status: 'False',
      reason: 'Degraded',
      message: 'The pipeline is degraded; see the Degraded condition.',
    });
    set({
      type: 'Progressing',
      status: 'False',
      reason: 'ReconcileFailed',
      message: 'Reconciling stopped on an error; it is retried with back-off.',
    });
  } else if (notReady.length === 0) {
    set({
      type: 'Ready',
      status: 'True',
      reason: 'AllPartsReady',
      message: `All parts are ready (readiness mode: ${inputs.mode}).`,
    });
    set({
      type: 'Progressing',
      status: 'False',
      reason: 'ReconcileComplete',
      message: `Generation ${generation ?? 0} is fully applied.`,
    });
  } else {
    const msg = notReady.map(([n, v]) => `${n}: ${v.message}`).join('; ');
    set({ type: 'Ready', status: 'False', reason: 'PartsNotReady', message: msg });
    set({ type: 'Progressing', status: 'True', reason: 'WaitingForParts', message: msg });
  }
  if (cp.spec.suspend) {
    set({
      type: 'Progressing',
      status: 'False',
      reason: 'Suspended',
      message: 'spec.suspend is true: the operator leaves the children as they are.',
    });
  }

  const status: CreditPipelineStatus = {
    observedGeneration: generation,
    conditions: sortConditions(conditions),
  };
  const det = inputs.observed.get(
    childKey({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: cp.metadata.namespace, name: inputs.detectorName },
    }),
  ) as
    | (KubernetesObject & {
        spec?: { selector?: { matchLabels?: Record<string, string> } };
        status?: { replicas?: number; readyReplicas?: number };
      })
    | undefined;
  if (det !== undefined) {
    status.fraudDetector = {
      replicas: det.status?.replicas ?? 0,
      readyReplicas: det.status?.readyReplicas ?? 0,
      selector: Object.entries(det.spec?.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    };
  } else if (prev.fraudDetector !== undefined) {
    status.fraudDetector = prev.fraudDetector;
  }
  if (last !== undefined) status.lastScoring = last;
  const topicNames =
    spec.kafka.topicManagement === 'direct'
      ? inputs.directTopics?.ok
        ? inputs.directTopics.topics
        : prev.topics
      : parts('topics')
          .filter((t) => inputs.observed.has(childKey(t)))
          .map((t) => (t.spec as { topicName?: string } | undefined)?.topicName ?? t.metadata.name);
  if (topicNames !== undefined && topicNames.length > 0) status.topics = [...topicNames].sort();
  return status;
}
