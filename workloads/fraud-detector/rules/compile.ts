/**
 * Turns a rule-set document into an executable rule set, or a list of problems naming each rule.
 * Checks the schema (api/fraud-rules.ts), then what a schema cannot: unique ids, per-kind fields,
 * expression syntax and functions, field paths against the application contract, list references,
 * CIDR syntax.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import {
  durationMs,
  type FraudRule,
  FraudRuleSet,
  type ListMatch,
  type RuleMode,
  type Severity,
} from '../../../api/fraud-rules.ts';
import { type Compiled, compileExpression, ExpressionError } from './expression.ts';
import { canonicalPath, type FieldReader, fieldReader, fieldType } from './fields.ts';
import { type CidrRange, parseCidr, parseIp } from './ip.ts';

interface RuleBase {
  id: string;
  version: number;
  severity: Severity;
  reasonCode: string;
  mode: RuleMode;
  /** `${id}@${version}`: what the alert key and the per-entry "already alerted" marks use. */
  ref: string;
}

/** A rule over a window of applications sharing a key. */
export interface WindowRule extends RuleBase {
  kind: 'velocity' | 'distinctCount';
  /** Canonical key path, e.g. `channel.deviceId`. */
  keyPath: string;
  windowMs: number;
  threshold: number;
  /** distinctCount: canonical path of the counted field. */
  distinctPath?: string;
}

/** A rule on one application. */
export interface EventRule extends RuleBase {
  kind: 'expression' | 'list';
  /** Returns evidence when the rule fires on the event, else undefined. */
  test: (event: unknown) => Record<string, unknown> | undefined;
}

export interface KeyGroup {
  keyPath: string;
  read: FieldReader;
  rules: WindowRule[];
  /** Canonical paths of the fields distinctCount rules of this key count. */
  distinctPaths: string[];
  distinctReaders: FieldReader[];
  /** Longest window of the group's rules. */
  maxWindowMs: number;
}

export interface CompiledRuleSet {
  version: string;
  allowedLatenessMs: number;
  maxEntriesPerKey: number;
  eventRules: EventRule[];
  /** Window rules grouped by key path; one repartition key per group. */
  keyGroups: Map<string, KeyGroup>;
  /** The validated document (with defaults applied). */
  document: FraudRuleSet;
}

export class RuleSetError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid fraud rule set:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RuleSetError';
  }
}

const schemaCheck = TypeCompiler.Compile(FraudRuleSet);

/** Validates and compiles; throws RuleSetError listing every problem found. */
export function compileRuleSet(input: unknown): CompiledRuleSet {
  const doc = Value.Default(FraudRuleSet, Value.Clone(input)) as unknown;
  if (!schemaCheck.Check(doc)) {
    const problems = [...schemaCheck.Errors(doc)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new RuleSetError(problems);
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  const eventRules: EventRule[] = [];
  const keyGroups = new Map<string, KeyGroup>();
  const lists = doc.lists ?? {};

  for (const [i, rule] of doc.rules.entries()) {
    const where = `rules[${i}] (${rule.id})`;
    if (seen.has(rule.id)) problems.push(`${where}: duplicate rule id`);
    seen.add(rule.id);
    const before = problems.length;
    const need = (field: keyof FraudRule) => {
      if (rule[field] === undefined) problems.push(`${where}: ${rule.kind} rules need "${field}"`);
    };
    const checkPath = (field: 'key' | 'field') => {
      const p = rule[field];
      if (p === undefined) return;
      const t = fieldType(p);
      if ('error' in t) problems.push(`${where}: ${field}: ${t.error}`);
      else if (t.type === 'object') problems.push(`${where}: ${field}: "${p}" is an object, not a value`);
    };
    switch (rule.kind) {
      case 'velocity':
      case 'distinctCount':
        need('key');
        need('window');
        need('threshold');
        if (rule.kind === 'distinctCount') need('field');
        checkPath('key');
        checkPath('field');
        break;
      case 'expression':
        need('expression');
        if (rule.expression !== undefined) {
          try {
            compileExpression(rule.expression);
          } catch (err) {
            if (!(err instanceof ExpressionError)) throw err;
            problems.push(`${where}: expression: ${err.message}`);
          }
        }
        break;
      case 'list':
        need('field');
        need('match');
        checkPath('field');
        if (rule.list === undefined && rule.values === undefined) {
          problems.push(`${where}: list rules need "list" or "values"`);
        }
        if (rule.list !== undefined && lists[rule.list] === undefined) {
          problems.push(
            `${where}: unknown list "${rule.list}" (defined: ${Object.keys(lists).join(', ') || 'none'})`,
          );
        }
        if (rule.match === 'cidr') {
          for (const v of [
            ...(rule.list === undefined ? [] : (lists[rule.list] ?? [])),
            ...(rule.values ?? []),
          ]) {
            if (parseCidr(v) === null) problems.push(`${where}: "${v}" is not an IP address or CIDR range`);
          }
        }
        break;
    }
    if (problems.length > before || !rule.enabled) continue;

    const base: RuleBase = {
      id: rule.id,
      version: rule.version,
      severity: rule.severity,
      reasonCode: rule.reasonCode,
      mode: rule.mode,
      ref: `${rule.id}@${rule.version}`,
    };
    if (rule.kind === 'velocity' || rule.kind === 'distinctCount') {
      const keyPath = canonicalPath(rule.key as string);
      const wr: WindowRule = {
        ...base,
        kind: rule.kind,
        keyPath,
        windowMs: durationMs(rule.window as string),
        threshold: rule.threshold as number,
        ...(rule.kind === 'distinctCount' ? { distinctPath: canonicalPath(rule.field as string) } : {}),
      };
      const group = keyGroups.get(keyPath) ?? {
        keyPath,
        read: fieldReader(keyPath),
        rules: [],
        distinctPaths: [],
        distinctReaders: [],
        maxWindowMs: 0,
      };
      group.rules.push(wr);
      group.maxWindowMs = Math.max(group.maxWindowMs, wr.windowMs);
      if (wr.distinctPath !== undefined && !group.distinctPaths.includes(wr.distinctPath)) {
        group.distinctPaths.push(wr.distinctPath);
        group.distinctReaders.push(fieldReader(wr.distinctPath));
      }
      keyGroups.set(keyPath, group);
    } else if (rule.kind === 'expression') {
      const fn = compileExpression(rule.expression as string);
      eventRules.push({ ...base, kind: 'expression', test: (e) => (fn(e) === true ? {} : undefined) });
    } else {
      const values = [...(rule.list === undefined ? [] : (lists[rule.list] ?? [])), ...(rule.values ?? [])];
      eventRules.push({
        ...base,
        kind: 'list',
        test: listMatcher(rule.match as ListMatch, rule.field as string, values, rule.list),
      });
    }
  }
  if (problems.length > 0) throw new RuleSetError(problems);

  const allowedLatenessMs = durationMs(doc.settings.allowedLateness);
  return {
    version: doc.version,
    allowedLatenessMs,
    maxEntriesPerKey: doc.settings.maxEntriesPerKey,
    eventRules,
    keyGroups,
    document: doc,
  };
}

function listMatcher(
  match: ListMatch,
  field: string,
  values: string[],
  listName: string | undefined,
): (event: unknown) => Record<string, unknown> | undefined {
  const read = fieldReader(field);
  const evidence = { list: listName ?? 'inline', match, field: canonicalPath(field) };
  if (match === 'cidr') {
    const ranges = values.map((v) => parseCidr(v)).filter((r): r is CidrRange => r !== null);
    return (e) => {
      const v = read(e);
      if (typeof v !== 'string') return undefined;
      // An address (the usual value) is read as one; a value with a prefix length as the range's base.
      let version: 4 | 6;
      let value: bigint;
      if (v.includes('/')) {
        const range = parseCidr(v);
        if (range === null) return undefined;
        version = range.version;
        value = range.base;
      } else {
        const ip = parseIp(v.trim());
        if (ip === null) return undefined;
        version = ip.version;
        value = ip.value;
      }
      for (const r of ranges) if (r.version === version && (value & r.mask) === r.base) return evidence;
      return undefined;
    };
  }
  const set = new Set(values.map((v) => v.trim().toLowerCase()));
  if (match === 'emailDomain') {
    return (e) => {
      const v = read(e);
      if (typeof v !== 'string') return undefined;
      const domain = v.slice(v.lastIndexOf('@') + 1).toLowerCase();
      // The domain itself or any subdomain of a listed domain.
      const parts = domain.split('.');
      for (let i = 0; i < parts.length - 1; i++) {
        if (set.has(parts.slice(i).join('.'))) return evidence;
      }
      return undefined;
    };
  }
  return (e) => {
    const v = read(e);
    return typeof v === 'string' && set.has(v.trim().toLowerCase()) ? evidence : undefined;
  };
}

export type { Compiled };
