/**
 * Condition bookkeeping in the `metav1.Condition` shape: `lastTransitionTime` changes only when
 * the status changes; every condition carries the generation it was computed for.
 */
import { CONDITION_TYPES, type Condition, type ConditionType } from '../../api/v1alpha1.ts';

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: ConditionType;
  status: ConditionStatus;
  /** One CamelCase word. */
  reason: string;
  message: string;
}

const CAMEL_CASE = /^[A-Z][A-Za-z0-9]*$/;

/** Kubernetes timestamps have second precision. */
export function timestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Returns `conditions` with `update` set; the transition time is kept when the status is unchanged. */
export function setCondition(
  conditions: readonly Condition[],
  update: ConditionUpdate,
  generation: number | undefined,
  now: Date,
): Condition[] {
  if (!CAMEL_CASE.test(update.reason))
    throw new Error(`condition reason must be CamelCase: ${update.reason}`);
  const previous = findCondition(conditions, update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      previous !== undefined && previous.status === update.status
        ? previous.lastTransitionTime
        : timestamp(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  const rest = conditions.filter((c) => c.type !== update.type);
  return sortConditions([...rest, next]);
}

/** All condition types set to Unknown, for a CreditPipeline seen for the first time. */
export function initialConditions(generation: number | undefined, now: Date): Condition[] {
  let out: Condition[] = [];
  for (const type of CONDITION_TYPES) {
    out = setCondition(
      out,
      {
        type,
        status: 'Unknown',
        reason: 'Reconciling',
        message: 'The operator has seen this CreditPipeline and is creating its parts.',
      },
      generation,
      now,
    );
  }
  return out;
}

/** Stable order: the types in CONDITION_TYPES order, others after by name. */
export function sortConditions(conditions: Condition[]): Condition[] {
  const rank = (t: string) => {
    const i = (CONDITION_TYPES as readonly string[]).indexOf(t);
    return i === -1 ? CONDITION_TYPES.length : i;
  };
  return [...conditions].sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

/** True when the two lists say the same thing (order-insensitive). */
export function sameConditions(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const sa = sortConditions([...(a ?? [])]);
  const sb = sortConditions([...(b ?? [])]);
  if (sa.length !== sb.length) return false;
  return sa.every((c, i) => {
    const d = sb[i];
    return (
      d !== undefined &&
      c.type === d.type &&
      c.status === d.status &&
      c.reason === d.reason &&
      c.message === d.message &&
      c.lastTransitionTime === d.lastTransitionTime &&
      c.observedGeneration === d.observedGeneration
    );
  });
}
