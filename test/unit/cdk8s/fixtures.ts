/** CreditPipelines and render options shared by the cdk8s unit tests. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { API_VERSION, type CreditPipeline, KIND, withSpecDefaults } from '../../../api/v1alpha1.ts';
import type { RenderOptions } from '../../../cdk8s/options.ts';

export function pipeline(name: string, spec: unknown, namespace = 'lending'): CreditPipeline {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec: withSpecDefaults(spec) };
}

/** An example from examples/, defaulted as the API server would. */
export function example(file: string): CreditPipeline {
  const doc = parse(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8')) as {
    metadata: { name: string; namespace?: string };
    spec: unknown;
  };
  return pipeline(doc.metadata.name, doc.spec, doc.metadata.namespace ?? 'default');
}

/** Deterministic secret generator: secret-1, secret-2, ... */
export function counterSecrets(): () => string {
  let n = 0;
  return () => `secret-${++n}`;
}

export function options(overrides: Partial<RenderOptions> = {}): RenderOptions {
  return {
    strimzi: true,
    monitoring: true,
    operatorImage: 'ghcr.io/creditplatform/credit-platform:0.1.0',
    dashboards: { 'fraud-operations.json': '{"uid":"fraud-operations"}' },
    randomSecret: counterSecrets(),
    ...overrides,
  };
}
