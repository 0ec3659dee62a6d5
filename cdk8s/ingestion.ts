/** The HTTP ingestion API: validates, pseudonymizes and produces applications. */
import { Construct } from 'constructs';
import { parseDuration } from '../api/duration.ts';
import { ENV, PORTS } from '../api/env.ts';
import type { RenderContext } from './context.ts';
import { kafkaCertVolumes, platformContainer, platformPodSpec } from './pod.ts';
import type { PipelineSecrets } from './secrets.ts';
import { deploymentWithService } from './workload.ts';

export class IngestionApi extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const spec = ctx.spec.ingestionApi;
    const certs = kafkaCertVolumes(ctx);
    const container = platformContainer(ctx, {
      subcommand: 'ingestion-api',
      env: [
        ...ctx.kafkaEnv(),
        { name: ENV.httpPort, value: String(PORTS.http) },
        { name: ENV.maxClockSkewMs, value: String(Math.round(parseDuration(spec.maxClockSkew))) },
        secrets.pseudonymizationKeyEnv(ENV.pseudonymizationKey),
        // GET /v1/applications/{id}/decision reads the issued decision records, as a role that may
        // SELECT only the columns it reads (managed PostgreSQL).
        secrets.decisionReaderUrlEnv(ENV.databaseUrl),
      ],
      resources: spec.resources,
      ports: [{ name: 'http', containerPort: PORTS.http, protocol: 'TCP' }],
      volumeMounts: certs.mounts,
    });
    deploymentWithService(this, ctx, {
      name: ctx.names.ingestionApi,
      component: 'ingestion-api',
      part: 'workloads',
      replicas: spec.replicas,
      podSpec: platformPodSpec(ctx, [container], { volumes: certs.volumes }),
      servicePorts: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'metrics', port: PORTS.ops, targetPort: 'ops' },
      ],
    });
  }
}
