/** Deployment, Service and PodDisruptionBudget of one long-running platform component. */
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import type { Component } from '../api/labels.ts';
import type { RenderContext } from './context.ts';
import type { Part } from './options.ts';
import { markPart } from './parts.ts';
import type { PodSpec } from './pod.ts';

export interface DeploymentProps {
  name: string;
  component: Component;
  /** The part whose readiness is this Deployment's. */
  part: Extract<Part, 'detector' | 'workloads'>;
  replicas: number;
  podSpec: PodSpec;
  /** Service ports (name → target container port name). */
  servicePorts: { name: string; port: number; targetPort: string }[];
  /** Pod annotations, e.g. a checksum of mounted config so a change rolls the pods. */
  podAnnotations?: Record<string, string>;
}

export function deploymentWithService(scope: Construct, ctx: RenderContext, p: DeploymentProps): void {
  const labels = ctx.labels(p.component);
  const selector = ctx.selector(p.component);
  const deployment = new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { name: p.name, labels },
    spec: {
      replicas: p.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxSurge: k8s.IntOrString.fromNumber(1),
          maxUnavailable: k8s.IntOrString.fromNumber(0),
        },
      },
      template: {
        metadata: { labels, ...(p.podAnnotations === undefined ? {} : { annotations: p.podAnnotations }) },
        spec: { ...p.podSpec, ...placement(ctx, selector) },
      },
    },
  });
  markPart(deployment, p.part);
  new k8s.KubeService(scope, 'service', {
    metadata: { name: p.name, labels },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: p.servicePorts.map((sp) => ({
        name: sp.name,
        port: sp.port,
        targetPort: k8s.IntOrString.fromString(sp.targetPort),
        protocol: 'TCP',
      })),
    },
  });
  podDisruptionBudget(scope, ctx, p.name, p.component, p.replicas);
}

/** A PDB keeping all but one pod available, when there is more than one pod to keep. */
export function podDisruptionBudget(
  scope: Construct,
  ctx: RenderContext,
  name: string,
  component: Component,
  replicas: number,
): void {
  if (replicas < 2) return;
  new k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: { name, labels: ctx.labels(component) },
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: ctx.selector(component) },
    },
  });
}

/** Node label of the host a pod runs on (what host anti-affinity spreads over). */
export const HOSTNAME_KEY = 'kubernetes.io/hostname';

/**
 * Host anti-affinity and topology spread of one Deployment's pods (spec.scheduling). Rendered
 * whatever the replica count, so scaling (the detector's scale subresource) does not roll the pods.
 */
export function placement(
  ctx: RenderContext,
  selector: Record<string, string>,
): Pick<k8s.PodSpec, 'affinity' | 'topologySpreadConstraints'> {
  const s = ctx.spec.scheduling;
  const labelSelector = { matchLabels: selector };
  const term = { topologyKey: HOSTNAME_KEY, labelSelector };
  const podAntiAffinity: k8s.PodAntiAffinity | undefined =
    s.podAntiAffinity === 'required'
      ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
      : s.podAntiAffinity === 'preferred'
        ? { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] }
        : undefined;
  const spread = s.topologySpread;
  return {
    ...(podAntiAffinity === undefined ? {} : { affinity: { podAntiAffinity } }),
    ...(spread.enabled
      ? {
          topologySpreadConstraints: [
            {
              topologyKey: spread.topologyKey,
              maxSkew: spread.maxSkew,
              whenUnsatisfiable: spread.whenUnsatisfiable,
              labelSelector,
            },
          ],
        }
      : {}),
  };
}
