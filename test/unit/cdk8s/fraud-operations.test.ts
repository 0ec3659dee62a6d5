import { describe, expect, it } from 'vitest';
import { ENV } from '../../../api/env.ts';
import { childNames } from '../../../api/names.ts';
import type { KubeObject } from '../../../cdk8s/options.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { loadConfig } from '../../../lib/config.ts';
import { DELIVERY_ENV, DeliveryConfig, resolveEndpoints } from '../../../workloads/alert-delivery/config.ts';
import { options, pipeline } from './fixtures.ts';

interface Container {
  name: string;
  env: Array<{ name: string; value?: string; valueFrom?: Record<string, unknown> }>;
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  containers: Container[];
}
const podOf = (o: KubeObject | undefined) =>
  (o?.spec as { template: { spec: PodSpec } } | undefined)?.template.spec as PodSpec;
const find = (objs: KubeObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

const names = childNames('fraud');
const spec = {
  kafka: { strimziCluster: 'k' },
  cases: { enabled: true },
  monitoring: { alerts: { rulePrecisionFloor: 0.4 } },
  alerting: {
    webhooks: [
      {
        name: 'fraud-team',
        url: 'https://hooks.example.com/fraud',
        severities: ['high', 'critical'],
        signingKeySecretRef: { name: 'fraud-team-hook', key: 'hmac' },
        timeout: '3s',
      },
      { name: 'chat', url: 'https://hooks.slack.com/services/T/B/X', format: 'slack' },
    ],
  },
};

describe('fraud operations children', () => {
  it('are absent by default (no webhooks, cases not enabled)', () => {
    const objs = renderCreditPipeline(pipeline('fraud', { kafka: { strimziCluster: 'k' } }), options());
    expect(find(objs, 'Deployment', names.cases)).toBeUndefined();
    expect(find(objs, 'Deployment', names.alertDelivery)).toBeUndefined();
    expect(find(objs, 'ServiceAccount', names.cases)).toBeUndefined();
  });

  it('render the cases Deployment, Service and ServiceAccount; only that pod gets a token', () => {
    const objs = renderCreditPipeline(pipeline('fraud', spec), options());
    const pod = podOf(find(objs, 'Deployment', names.cases));
    expect(pod.serviceAccountName).toBe(names.cases);
    expect(pod.automountServiceAccountToken).toBe(true);
    const env = pod.containers[0]!.env;
    expect(env.find((e) => e.name === ENV.casesNamespace)?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.namespace' },
    });
    expect(env.map((e) => e.name)).toEqual(expect.arrayContaining([ENV.databaseUrl, ENV.kafkaBrokers]));
    const svc = find(objs, 'Service', names.cases)?.spec as { ports: Array<{ name: string }> };
    expect(svc.ports.map((p) => p.name)).toEqual(['http', 'metrics']);
    expect(find(objs, 'NetworkPolicy', 'fraud-cases')).toBeDefined();
    expect(podOf(find(objs, 'Deployment', names.alertDelivery)).automountServiceAccountToken).toBe(false);
  });

  it('pass the webhooks to the delivery process in the shape its config loader accepts, keys from Secrets', () => {
    const objs = renderCreditPipeline(pipeline('fraud', spec), options());
    const env = podOf(find(objs, 'Deployment', names.alertDelivery)).containers[0]!.env;
    const webhooks = env.find((e) => e.name === ENV.alertWebhooks)?.value;
    const key = env.find((e) => e.name === 'ALERT_WEBHOOK_KEY_0');
    expect(key?.valueFrom).toEqual({ secretKeyRef: { name: 'fraud-team-hook', key: 'hmac' } });
    expect(env.find((e) => e.name === 'ALERT_WEBHOOK_KEY_1')).toBeUndefined();
    const config = loadConfig(DeliveryConfig, DELIVERY_ENV, {
      DATABASE_URL: 'postgres://x/y',
      KAFKA_BROKERS: 'k:9092',
      ALERT_WEBHOOKS: webhooks,
      DELIVERY_MAX_ATTEMPTS: env.find((e) => e.name === ENV.deliveryMaxAttempts)?.value,
    });
    const endpoints = resolveEndpoints(config.webhooks, { ALERT_WEBHOOK_KEY_0: 'k'.repeat(32) });
    expect(endpoints).toEqual([
      expect.objectContaining({
        name: 'fraud-team',
        format: 'json',
        severities: ['high', 'critical'],
        modes: ['live'],
        timeoutMs: 3000,
        signingKey: 'k'.repeat(32),
      }),
      expect.objectContaining({ name: 'chat', format: 'slack', signingKey: null, timeoutMs: 5000 }),
    ]);
    expect(config.maxAttempts).toBe(10);
  });

  it('scope the precision alert to the pipeline’s floor', () => {
    const objs = renderCreditPipeline(pipeline('fraud', spec), options());
    const rule = find(objs, 'PrometheusRule', 'fraud-platform')?.spec as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const precision = rule.groups.flatMap((g) => g.rules).find((r) => r.alert === 'FraudRulePrecisionLow');
    expect(precision?.expr).toContain('< 0.4');
  });
});
