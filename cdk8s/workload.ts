/** Deployment, Service and PodDisruptionBudget of one long-running platform component. */
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import type { Component } from '../api/labels.ts';
import type { RenderContext } from './context.ts';
import type { PodSpec } from './pod.ts';

export interface DeploymentProps {
  name: string;
  component: Component;
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
  new k8s.KubeDeployment(scope, 'deployment', {
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
        spec: p.podSpec,
      },
    },
  });
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
