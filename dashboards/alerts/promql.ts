/**
 * Small PromQL helpers for the alert rules: selectors carrying a fixed set of label matchers,
 * so the operator can scope every rule to one pipeline's series (e.g. its namespace).
 */

import { PROMETHEUS_DURATION_PATTERN } from '../../api/alert-thresholds.ts';

export type Matchers = Readonly<Record<string, string>>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

/**
 * `metric{a="x",b=~"y"}`: the base equality matchers first, then `extra` equality matchers, then
 * `regex` matchers (`=~`, anchored by Prometheus). A later matcher of the same label replaces an earlier one.
 */
export function selector(metric: string, base: Matchers, extra: Matchers = {}, regex: Matchers = {}): string {
  const ops = new Map<string, string>();
  for (const [name, value] of Object.entries({ ...base, ...extra })) ops.set(name, `=${quote(value)}`);
  for (const [name, value] of Object.entries(regex)) ops.set(name, `=~${quote(value)}`);
  const parts = [...ops].map(([name, op]) => {
    if (!LABEL_NAME.test(name)) throw new Error(`invalid Prometheus label name '${name}'`);
    return `${name}${op}`;
  });
  return parts.length === 0 ? metric : `${metric}{${parts.join(',')}}`;
}

const DURATION = new RegExp(PROMETHEUS_DURATION_PATTERN);

export function duration(value: string, setting: string): string {
  if (!DURATION.test(value)) throw new Error(`${setting}: '${value}' is not a Prometheus duration (e.g. 5m)`);
  return value;
}
