/**
 * `renderCreditPipeline`: a CreditPipeline in, the plain child objects out. Pure: no API calls,
 * no clock; randomness only for Secret values that do not exist yet (`existingSecrets`).
 *
 * The operator applies the result with server-side apply, adds ownerReferences, and prunes children
 * (listed by the `creditplatform.dev/pipeline` label every child carries) that are no longer rendered.
 */
import { randomBytes } from 'node:crypto';
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { CreditPipeline } from '../operator/api/v1alpha1.ts';
import { RenderContext } from './context.ts';
import { FraudDetector } from './detector.ts';
import { IngestionApi } from './ingestion.ts';
import { Monitoring } from './monitoring.ts';
import { NetworkPolicies } from './network-policies.ts';
import { ScoringCronJob } from './scoring.ts';
import { PipelineSecrets } from './secrets.ts';
import { ManagedMongo, ManagedPostgres } from './storage.ts';
import { KafkaTopics } from './topics.ts';
import { WarehouseLoader, WarehouseMigrationJob } from './warehouse.ts';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** What the renderer needs to know about the cluster and the current state, and nothing else. */
export interface RenderOptions {
  /** The Strimzi CRDs (kafka.strimzi.io KafkaTopic) are installed. */
  strimzi: boolean;
  /** The prometheus-operator CRDs (monitoring.coreos.com ServiceMonitor, PrometheusRule) are installed. */
  monitoring: boolean;
  /**
   * The operator's own image (`repository:tag`); workloads run it unless spec.images.platform is set,
   * so a pipeline follows the operator's version by default.
   */
  operatorImage: string;
  /**
   * Decoded data of the generated Secrets that already exist, by Secret name. Present keys are
   * reused so credentials stay stable across reconciles; only missing keys are generated.
   */
  existingSecrets?: Record<string, Record<string, string>>;
  /** Grafana dashboards by file name (e.g. `fraud.json`) → dashboard JSON. */
  dashboards?: Record<string, string>;
  /** Random secret value generator (tests inject a deterministic one). */
  randomSecret?: () => string;
}

const defaultRandomSecret = (): string => randomBytes(24).toString('base64url');

/** Renders every child object of `cp`, in a stable order (by kind group, then name). */
export function renderCreditPipeline(cp: CreditPipeline, opts: RenderOptions): KubeObject[] {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, cp.metadata.name, {
    ...(cp.metadata.namespace === undefined ? {} : { namespace: cp.metadata.namespace }),
    disableResourceNameHashes: true,
  });
  buildPipeline(chart, cp, opts);
  return chart.toJson() as KubeObject[];
}

/** Adds the pipeline's constructs under `scope` (used by render and by the Testing.synth snapshots). */
export function buildPipeline(scope: Construct, cp: CreditPipeline, opts: RenderOptions): RenderContext {
  const ctx = new RenderContext(cp, { ...opts, randomSecret: opts.randomSecret ?? defaultRandomSecret });
  const secrets = new PipelineSecrets(scope, 'secrets', ctx);
  new KafkaTopics(scope, 'topics', ctx);
  new ManagedPostgres(scope, 'postgres', ctx);
  new ManagedMongo(scope, 'mongo', ctx);
  new WarehouseMigrationJob(scope, 'warehouse-migrate', ctx, secrets);
  new IngestionApi(scope, 'ingestion-api', ctx, secrets);
  new FraudDetector(scope, 'fraud-detector', ctx);
  new WarehouseLoader(scope, 'warehouse-loader', ctx, secrets);
  new ScoringCronJob(scope, 'risk-scorer', ctx, secrets);
  new Monitoring(scope, 'monitoring', ctx);
  new NetworkPolicies(scope, 'network-policies', ctx);
  return ctx;
}
