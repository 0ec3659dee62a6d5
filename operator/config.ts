/**
 * The operator's configuration: one TypeBox schema, read from the environment at start-up.
 * The chart sets these variables on the operator Deployment.
 */
import { type Static, Type } from '@sinclair/typebox';
import { OPERATOR_ENV, POD_NAMESPACE_ENV } from '../api/env.ts';
import { loadConfig } from '../lib/config.ts';

/** The image workloads run when neither OPERATOR_IMAGE nor spec.images.platform says otherwise. */
export const DEFAULT_OPERATOR_IMAGE = 'ghcr.io/creditplatform/credit-platform:0.1.0';

export const READINESS_MODES = ['available', 'applied'] as const;
export type ReadinessMode = (typeof READINESS_MODES)[number];

export const OperatorConfig = Type.Object({
  watchNamespaces: Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
    default: [],
    description: 'Namespaces whose CreditPipelines are reconciled; empty means all namespaces.',
  }),
  metricsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  metricsHost: Type.String({ default: '0.0.0.0' }),
  leaderElection: Type.Boolean({ default: true }),
  leaseName: Type.String({ minLength: 1, default: 'credit-platform-operator' }),
  /** Namespace of the Lease; defaults to the pod's own namespace (POD_NAMESPACE), else `default`. */
  leaseNamespace: Type.String({ minLength: 1, default: 'default' }),
  leaseDurationSeconds: Type.Number({ exclusiveMinimum: 0, default: 15 }),
  renewDeadlineSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
  retryPeriodSeconds: Type.Number({ exclusiveMinimum: 0, default: 2 }),
  /** Identity in the Lease; defaults to the pod name (POD_NAME) or hostname-pid. */
  identity: Type.String({ default: '' }),
  /** Pipelines reconciled at once. */
  workers: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  /** Children of one pipeline applied at once within a reconcile. */
  applyConcurrency: Type.Integer({ minimum: 1, maximum: 64, default: 16 }),
  /** Image the operator gives workloads when a CreditPipeline does not set spec.images. */
  operatorImage: Type.String({ default: '' }),
  /**
   * `available`: a part is Ready when its pods are available (a real cluster).
   * `applied`: a part is Ready when its children were applied and their controllers observed the
   * current generation; for control planes without kubelets (tests, benchmarks).
   */
  readinessMode: Type.Union(
    READINESS_MODES.map((m) => Type.Literal(m)),
    { default: 'available' },
  ),
  /** How often optional APIs (Strimzi, prometheus-operator) are looked for again (discovery reads). */
  capabilityPollSeconds: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  /** Back-off of failed reconciles. */
  retryBaseDelayMs: Type.Integer({ minimum: 1, default: 100 }),
  retryMaxDelayMs: Type.Integer({ minimum: 1, default: 300_000 }),
  /** Kubeconfig file; empty means in-cluster (service-account token) or the default kubeconfig. */
  kubeconfig: Type.String({ default: '' }),
});
export type OperatorConfig = Static<typeof OperatorConfig>;

export function loadOperatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const withNs: NodeJS.ProcessEnv = {
    ...env,
    [OPERATOR_ENV.leaseNamespace]: env[OPERATOR_ENV.leaseNamespace] || env[POD_NAMESPACE_ENV] || undefined,
  };
  const cfg = loadConfig(OperatorConfig, OPERATOR_ENV, withNs);
  if (cfg.renewDeadlineSeconds >= cfg.leaseDurationSeconds)
    throw new Error('RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS');
  if (cfg.retryPeriodSeconds >= cfg.renewDeadlineSeconds)
    throw new Error('RETRY_PERIOD_SECONDS must be less than RENEW_DEADLINE_SECONDS');
  return cfg;
}
