/**
 * Everything the constructs derive from one CreditPipeline: names, labels, images, Kafka
 * connection settings. Computed once per render so every construct agrees.
 */
import { createHash } from 'node:crypto';
import type { k8s } from 'cdk8s-plus-34';
import { ENV, MOUNTS } from '../api/env.ts';
import { imageRef } from '../api/image.ts';
import { type Component, componentLabels, componentSelector, type Labels } from '../api/labels.ts';
import { type ChildNames, childNames, consumerGroupPrefix } from '../api/names.ts';
import type { CreditPipeline, CreditPipelineSpec } from '../api/v1alpha1.ts';
import type { RenderOptions } from './options.ts';

export type EnvVar = k8s.EnvVar;

export type ResolvedRenderOptions = RenderOptions & { randomSecret: () => string };

export class RenderContext {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly spec: CreditPipelineSpec;
  readonly names: ChildNames;
  readonly platformImage: string;
  readonly version: string;

  constructor(
    readonly cp: CreditPipeline,
    readonly opts: ResolvedRenderOptions,
  ) {
    this.name = cp.metadata.name;
    this.namespace = cp.metadata.namespace;
    this.spec = cp.spec;
    this.names = childNames(this.name);
    const images = cp.spec.images;
    this.platformImage =
      images.platform === undefined
        ? opts.operatorImage
        : imageRef(images.platform, images.version ?? tagOf(opts.operatorImage));
    this.version = tagOf(this.platformImage);
  }

  labels(component: Component): Labels {
    return componentLabels(this.name, component, this.version);
  }

  selector(component: Component): Labels {
    return componentSelector(this.name, component);
  }

  /** Comma-separated bootstrap servers of the pipeline's Kafka. */
  get kafkaBootstrap(): string {
    const k = this.spec.kafka;
    if (k.bootstrapServers !== undefined) return k.bootstrapServers;
    return `${k.strimziCluster}-kafka-bootstrap:${k.tls ? 9093 : 9092}`;
  }

  /** Kafka connection and topic env vars, shared by every Kafka client workload. */
  kafkaEnv(): EnvVar[] {
    const k = this.spec.kafka;
    const t = this.spec.topics;
    const env: EnvVar[] = [
      { name: ENV.kafkaBrokers, value: this.kafkaBootstrap },
      { name: ENV.kafkaTls, value: String(k.tls) },
      { name: ENV.applicationsTopic, value: t.applications },
      { name: ENV.deadLetterTopic, value: t.deadLetter },
      { name: ENV.alertsTopic, value: t.alerts },
      { name: ENV.consumerGroupPrefix, value: consumerGroupPrefix(this.namespace, this.name) },
    ];
    if (k.sasl !== undefined && k.authSecretRef !== undefined) {
      env.push(
        { name: ENV.kafkaSaslMechanism, value: k.sasl },
        {
          name: ENV.kafkaSaslUsername,
          valueFrom: { secretKeyRef: { name: k.authSecretRef.name, key: 'username' } },
        },
        {
          name: ENV.kafkaSaslPassword,
          valueFrom: { secretKeyRef: { name: k.authSecretRef.name, key: 'password' } },
        },
      );
    }
    if (k.tls && k.authSecretRef !== undefined) {
      env.push({ name: ENV.kafkaCaFile, value: `${MOUNTS.kafkaCertsDir}/ca.crt` });
    }
    return env;
  }

  /** Env common to every platform container. */
  commonEnv(): EnvVar[] {
    return [
      { name: ENV.pipelineName, value: this.name },
      { name: ENV.logLevel, value: 'info' },
    ];
  }
}

function tagOf(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 8, at + 20);
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}

/** Short stable hash, for names of immutable objects that must change when their content does. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 8);
}
