/**
 * Fraud operations: the cases service (API and analysts' page, `spec.cases`) and the alert-delivery
 * process (`spec.alerting.webhooks[]`). Both read the alerts topic with consumer groups of their own
 * and write the warehouse (cases, outbox); neither is in the detector's path.
 *
 * The cases pod runs as its own ServiceAccount, whose token it uses for TokenReview and
 * SubjectAccessReview: that needs the `system:auth-delegator` ClusterRole, bound by the chart
 * (`cases.authDelegatorSubjects`) since a pipeline cannot own a cluster-scoped binding. The delivery
 * pod needs no Kubernetes API access and gets no token.
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { parseDuration } from '../api/duration.ts';
import { ENV, PORTS } from '../api/env.ts';
import type { WebhookSpec } from '../api/v1alpha1.ts';
import type { RenderContext } from './context.ts';

import { kafkaCertVolumes, platformContainer, platformPodSpec } from './pod.ts';
import type { PipelineSecrets } from './secrets.ts';
import { deploymentWithService } from './workload.ts';

export class CasesService extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const spec = ctx.spec.cases;
    if (!spec.enabled) return;
    const name = ctx.names.cases;
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name, labels: ctx.labels('cases') },
      automountServiceAccountToken: false,
    });
    const certs = kafkaCertVolumes(ctx);
    const container = platformContainer(ctx, {
      subcommand: 'cases',
      env: [
        ...ctx.kafkaEnv(),
        secrets.databaseUrlEnv(ENV.databaseUrl),
        { name: ENV.httpPort, value: String(PORTS.http) },
        { name: ENV.casesNamespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
      resources: spec.resources,
      ports: [{ name: 'http', containerPort: PORTS.http, protocol: 'TCP' }],
      volumeMounts: certs.mounts,
    });
    const podSpec = platformPodSpec(ctx, [container], { volumes: certs.volumes });
    deploymentWithService(this, ctx, {
      name,
      component: 'cases',
      part: 'workloads',
      replicas: spec.replicas,
      // The only platform pod with a token: it needs it for TokenReview and SubjectAccessReview.
      podSpec: { ...podSpec, serviceAccountName: name, automountServiceAccountToken: true },
      servicePorts: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'metrics', port: PORTS.ops, targetPort: 'ops' },
      ],
    });
  }
}

/** The env var that carries a webhook's signing key, from its Secret. */
export function webhookKeyEnvName(index: number): string {
  return `ALERT_WEBHOOK_KEY_${index}`;
}

/** `spec.alerting.webhooks[]` as the delivery process reads it (ALERT_WEBHOOKS, JSON). */
export function deliveryWebhooks(webhooks: readonly WebhookSpec[]): unknown[] {
  return webhooks.map((w, i) => ({
    name: w.name,
    url: w.url,
    format: w.format,
    modes: w.modes,
    ...(w.severities === undefined ? {} : { severities: w.severities }),
    ...(w.rules === undefined ? {} : { rules: w.rules }),
    ...(w.signingKeySecretRef === undefined ? {} : { signingKeyEnv: webhookKeyEnvName(i) }),
    timeoutMs: Math.round(parseDuration(w.timeout)),
  }));
}

export class AlertDelivery extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const spec = ctx.spec.alerting;
    if (spec.webhooks.length === 0) return;
    const certs = kafkaCertVolumes(ctx);
    const keyEnv = spec.webhooks.flatMap((w, i) =>
      w.signingKeySecretRef === undefined
        ? []
        : [
            {
              name: webhookKeyEnvName(i),
              valueFrom: {
                secretKeyRef: { name: w.signingKeySecretRef.name, key: w.signingKeySecretRef.key },
              },
            },
          ],
    );
    const container = platformContainer(ctx, {
      subcommand: 'alert-delivery',
      env: [
        ...ctx.kafkaEnv(),
        secrets.databaseUrlEnv(ENV.databaseUrl),
        { name: ENV.alertWebhooks, value: JSON.stringify(deliveryWebhooks(spec.webhooks)) },
        { name: ENV.deliveryMaxAttempts, value: String(spec.maxAttempts) },
        ...keyEnv,
      ],
      resources: spec.resources,
      volumeMounts: certs.mounts,
    });
    deploymentWithService(this, ctx, {
      name: ctx.names.alertDelivery,
      component: 'alert-delivery',
      part: 'workloads',
      // One sender is enough for most lenders; more replicas share the outbox (SKIP LOCKED) safely.
      replicas: 1,
      podSpec: platformPodSpec(ctx, [container], { volumes: certs.volumes }),
      servicePorts: [{ name: 'metrics', port: PORTS.ops, targetPort: 'ops' }],
    });
  }
}
