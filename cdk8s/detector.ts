/** The streaming fraud detector, and the ConfigMap of its inline rules. */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { ALERTS_DATABASE } from '../api/alert.ts';
import { parseDuration } from '../api/duration.ts';
import { ENV, MOUNTS, PORTS } from '../api/env.ts';
import { GROUP } from '../api/v1alpha1.ts';
import { type EnvVar, type RenderContext, shortHash } from './context.ts';
import { kafkaCertVolumes, platformContainer, platformPodSpec, type Volume } from './pod.ts';
import { deploymentWithService } from './workload.ts';

export const RULES_KEY = 'rules.json';

export class FraudDetector extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const spec = ctx.spec.fraudDetector;
    const certs = kafkaCertVolumes(ctx);
    const volumes: Volume[] = [...certs.volumes];
    const mounts = [...certs.mounts];
    const env = [
      ...ctx.kafkaEnv(),
      mongoUrlEnv(ctx),
      { name: ENV.verdictsTopic, value: ctx.spec.topics.verdicts },
      { name: ENV.eventTimeHorizonMs, value: String(Math.round(parseDuration(spec.eventTimeHorizon))) },
    ];
    const annotations: Record<string, string> = {};
    const rules = spec.rules;
    if (rules.inline !== undefined) {
      const json = `${JSON.stringify(rules.inline, null, 2)}\n`;
      new k8s.KubeConfigMap(this, 'rules', {
        metadata: { name: ctx.names.rulesConfigMap, labels: ctx.labels('fraud-detector') },
        data: { [RULES_KEY]: json },
      });
      volumes.push({ name: 'rules', configMap: { name: ctx.names.rulesConfigMap } });
      env.push({ name: ENV.rulesFile, value: `${MOUNTS.rulesDir}/${RULES_KEY}` });
      annotations[`${GROUP}/rules-checksum`] = shortHash(json);
    } else if (rules.configMapRef !== undefined) {
      // Mounted as a directory (no subPath) so the detector sees edits and hot-reloads.
      volumes.push({
        name: 'rules',
        configMap: {
          name: rules.configMapRef.name,
          items: [{ key: rules.configMapRef.key, path: RULES_KEY }],
        },
      });
      env.push({ name: ENV.rulesFile, value: `${MOUNTS.rulesDir}/${RULES_KEY}` });
    }
    if (volumes.some((v) => v.name === 'rules')) {
      mounts.push({ name: 'rules', mountPath: MOUNTS.rulesDir, readOnly: true });
    }
    const container = platformContainer(ctx, {
      subcommand: 'fraud-detector',
      env,
      resources: spec.resources,
      volumeMounts: mounts,
    });
    deploymentWithService(this, ctx, {
      name: ctx.names.fraudDetector,
      component: 'fraud-detector',
      part: 'detector',
      replicas: spec.replicas,
      podSpec: platformPodSpec(ctx, [container], { volumes }),
      servicePorts: [{ name: 'metrics', port: PORTS.ops, targetPort: 'ops' }],
      ...(Object.keys(annotations).length === 0 ? {} : { podAnnotations: annotations }),
    });
  }
}

/** MONGO_URL: the managed FerretDB Service, or read from the external Secret. */
export function mongoUrlEnv(ctx: RenderContext): EnvVar {
  const external = ctx.spec.storage.mongo.external;
  if (external !== undefined) {
    return {
      name: ENV.mongoUrl,
      valueFrom: { secretKeyRef: { name: external.secretRef.name, key: external.secretRef.key } },
    };
  }
  return { name: ENV.mongoUrl, value: `mongodb://${ctx.names.mongo}:${PORTS.mongo}/${ALERTS_DATABASE}` };
}
