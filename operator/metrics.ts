/** The operator's Prometheus metrics, on their own registry (served by lib/ops-server.ts). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One pipeline's conditions, as the status holds them (the gauge below exports them). */
export interface PipelineConditions {
  namespace: string;
  pipeline: string;
  conditions: ReadonlyArray<{ type: string; status: string; reason?: string }>;
}

type ConditionLabel = 'pipeline_namespace' | 'pipeline' | 'type' | 'status' | 'reason';

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileDuration: Histogram<'result'>;
  reconcileErrors: Counter<'step'>;
  queueDepth: Gauge;
  apiRequests: Counter<'verb' | 'resource' | 'code'>;
  leader: Gauge;
  informerRestarts: Counter<'resource'>;
  /** 1 per condition of every CreditPipeline, read at scrape time from `conditionSource`. */
  pipelineConditions: Gauge<ConditionLabel>;
  /** Where the condition gauge reads from: the leader points it at its informer cache. */
  setConditionSource(read: () => readonly PipelineConditions[]): void;
}

export function createMetrics(withDefaults = true): OperatorMetrics {
  const registry = new Registry();
  let readConditions: () => readonly PipelineConditions[] = () => [];
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'credit_operator_' });
  return {
    registry,
    reconciles: new Counter({
      name: 'credit_operator_reconciles_total',
      help: 'Reconciles of CreditPipelines by result (success, error, requeue)',
      labelNames: ['result'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'credit_operator_reconcile_duration_seconds',
      help: 'Time spent in one reconcile of a CreditPipeline',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'credit_operator_reconcile_errors_total',
      help: 'Reconcile errors by the step that failed',
      labelNames: ['step'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'credit_operator_workqueue_depth',
      help: 'Keys waiting in the work queue',
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: 'credit_operator_api_requests_total',
      help: 'Requests to the Kubernetes API by verb, resource and status code',
      labelNames: ['verb', 'resource', 'code'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'credit_operator_leader',
      help: '1 while this process holds the leader Lease',
      registers: [registry],
    }),
    informerRestarts: new Counter({
      name: 'credit_operator_informer_restarts_total',
      help: 'Informer (list+watch) restarts after an error, by resource',
      labelNames: ['resource'],
      registers: [registry],
    }),
    pipelineConditions: new Gauge<ConditionLabel>({
      name: 'credit_operator_pipeline_condition',
      help: 'Status conditions of each CreditPipeline (1 per condition, with its status and reason); exported by the leader',
      labelNames: ['pipeline_namespace', 'pipeline', 'type', 'status', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of readConditions())
          for (const c of p.conditions)
            this.set(
              {
                pipeline_namespace: p.namespace,
                pipeline: p.pipeline,
                type: c.type,
                status: c.status,
                reason: c.reason ?? '',
              },
              1,
            );
      },
    }),
    setConditionSource(read) {
      readConditions = read;
    },
  };
}
