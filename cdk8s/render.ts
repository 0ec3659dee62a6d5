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
import type { CreditPipeline } from '../api/v1alpha1.ts';
import { RenderContext } from './context.ts';
import { DecisionService } from './decisions.ts';
import { FraudDetector } from './detector.ts';
import { AlertDelivery, CasesService } from './fraud-operations.ts';
import { IngestionApi } from './ingestion.ts';
import { Monitoring } from './monitoring.ts';
import { NetworkPolicies } from './network-policies.ts';
import { type KubeObject, PARTS, type Part, type RenderedPipeline, type RenderOptions } from './options.ts';
import { markedParts, partKey } from './parts.ts';
import { ScoringCronJob } from './scoring.ts';
import { PipelineSecrets } from './secrets.ts';
import { ManagedMongo, ManagedPostgres } from './storage.ts';
import { KafkaTopics } from './topics.ts';
import { WarehouseLoader, WarehouseMigrationJob } from './warehouse.ts';

const defaultRandomSecret = (): string => randomBytes(24).toString('base64url');

/** Renders every child object of `cp`, in a stable order, grouped by the part each stands for. */
export function renderPipeline(cp: CreditPipeline, opts: RenderOptions): RenderedPipeline {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, cp.metadata.name, {
    ...(cp.metadata.namespace === undefined ? {} : { namespace: cp.metadata.namespace }),
    disableResourceNameHashes: true,
  });
  buildPipeline(chart, cp, opts);
  const objects = chart.toJson() as KubeObject[];
  const marks = markedParts(chart);
  const parts = Object.fromEntries(PARTS.map((p) => [p, [] as KubeObject[]])) as Record<Part, KubeObject[]>;
  for (const o of objects) {
    const part = marks.get(partKey(o.apiVersion, o.kind, o.metadata.name));
    if (part !== undefined) parts[part].push(o);
  }
  return { objects, parts };
}

/** Every child object of `cp`, in a stable order (by kind group, then name). */
export function renderCreditPipeline(cp: CreditPipeline, opts: RenderOptions): KubeObject[] {
  return renderPipeline(cp, opts).objects;
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
  new DecisionService(scope, 'decision-service', ctx, secrets);
  new CasesService(scope, 'cases', ctx, secrets);
  new AlertDelivery(scope, 'alert-delivery', ctx, secrets);
  new Monitoring(scope, 'monitoring', ctx, secrets);
  new NetworkPolicies(scope, 'network-policies', ctx);
  return ctx;
}
