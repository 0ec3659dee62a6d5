/**
 * Which part of the pipeline an object the constructs create stands for: each construct marks the
 * objects whose readiness is its part's (the StatefulSet of a store, not its Service), and the
 * renderer groups its output by these marks (render.ts), so the operator's status need not guess.
 */
import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import type { Part } from './options.ts';

const PART_METADATA = 'creditplatform.dev/part';

/** Marks `obj` as one of `part`'s objects; returns it. */
export function markPart<T extends ApiObject>(obj: T, part: Part): T {
  obj.node.addMetadata(PART_METADATA, part);
  return obj;
}

/** The part of every marked API object under `scope`, by `apiVersion/kind/name`. */
export function markedParts(scope: IConstruct): Map<string, Part> {
  const out = new Map<string, Part>();
  for (const c of scope.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const part = c.node.metadata.find((m) => m.type === PART_METADATA)?.data as Part | undefined;
    if (part !== undefined) out.set(partKey(c.apiVersion, c.kind, c.name), part);
  }
  return out;
}

export const partKey = (apiVersion: string, kind: string, name: string): string =>
  `${apiVersion}/${kind}/${name}`;
