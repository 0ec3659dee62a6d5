import type { Component } from '../lib/component.ts';
import type { InfraState } from '../lib/state.ts';
import { kafka } from './kafka.ts';
import { kube } from './kube.ts';
import { mongo } from './mongo.ts';
import { node } from './node.ts';
import { postgres } from './postgres.ts';
import { prometheus } from './prometheus.ts';

/** Start order: data servers first, then the Kubernetes control plane, then its node. */
export const components: readonly Component<keyof InfraState>[] = [
  postgres,
  kafka,
  mongo,
  prometheus,
  kube,
  node,
];

export function selectComponents(names: readonly string[]): readonly Component<keyof InfraState>[] {
  if (names.length === 0) return components;
  const unknown = names.filter((n) => !components.some((c) => c.key === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown component(s) ${unknown.join(', ')}; known: ${components.map((c) => c.key).join(', ')}`,
    );
  }
  return components.filter((c) => names.includes(c.key));
}
