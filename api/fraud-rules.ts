/**
 * The fraud-rule format, written once. From `FraudRuleSet` come the TypeScript types, the runtime
 * validation (rules/compile.ts adds the checks a schema cannot express: expression syntax, field
 * paths, list references) and the JSON Schema the operator embeds in the CreditPipeline CRD
 * (`fraudRuleSetJsonSchema`).
 *
 * Rules are one flat object with a `kind` discriminator rather than a `oneOf` of shapes: Kubernetes
 * requires "structural" schemas (every property declared at one level), so the per-kind required
 * fields are expressed as CEL rules (`x-kubernetes-validations`) that the API server enforces and
 * compile.ts re-checks.
 */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/string-enum.ts';

/** `250ms`, `30s`, `15m`, `1h`, `7d`. */
export const RULE_DURATION_PATTERN = '^[0-9]{1,9}(ms|s|m|h|d)$';
const duration = (description: string, defaultValue?: string) =>
  Type.String({
    pattern: RULE_DURATION_PATTERN,
    description: `${description} (an integer and a unit: ms, s, m, h, d)`,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });

/**
 * A field of the application event: a short alias (`nationalIdHash`, `deviceId`, `ipAddress`, `email`,
 * `phone`, `customerId`, ...) or a dotted path into `credit.application.v1` (`channel.geo.country`).
 */
const fieldPath = (description: string) =>
  Type.String({
    pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$',
    maxLength: 200,
    description: `${description}: a field alias (deviceId, email, ...) or a dotted path of the application event`,
  });

export const RULE_KINDS = ['velocity', 'distinctCount', 'expression', 'list'] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const MODES = ['live', 'shadow'] as const;
export const LIST_MATCHES = ['exact', 'emailDomain', 'cidr'] as const;

export const FraudRule = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$',
      description: 'Stable rule id (lower case); part of the alert key with `version`',
    }),
    version: Type.Integer({
      minimum: 1,
      description: 'Rule version; bump it when the logic changes (a new version alerts again)',
    }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    kind: StringEnum(RULE_KINDS, { description: 'velocity | distinctCount | expression | list' }),
    severity: StringEnum(SEVERITIES, { description: 'Alert severity' }),
    reasonCode: Type.String({
      pattern: '^[A-Z][A-Z0-9_]{1,63}$',
      description: 'Reason code carried by the alert (UPPER_SNAKE_CASE)',
    }),
    enabled: Type.Boolean({ default: true, description: 'Disabled rules are not evaluated' }),
    mode: StringEnum(MODES, { description: 'live: raise alerts; shadow: record hits without alerting' }),
    key: Type.Optional(fieldPath('velocity, distinctCount: the field the state is keyed by (e.g. deviceId)')),
    window: Type.Optional(
      duration(
        'velocity, distinctCount: event-time window length; an application is counted with the others of its key that fall in a window of this length containing it',
      ),
    ),
    threshold: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: 100_000,
        description: 'velocity: applications, distinctCount: distinct values in the window, ≥ which it fires',
      }),
    ),
    field: Type.Optional(
      fieldPath('distinctCount: the field whose distinct values are counted; list: the field matched'),
    ),
    expression: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: 'expression: a boolean expression over one application (see rules/expression.ts)',
      }),
    ),
    match: Type.Optional(
      StringEnum(LIST_MATCHES, { description: 'list: exact value, e-mail domain, or IP in a CIDR range' }),
    ),
    list: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_.-]{1,63}$', description: 'list: name of an entry of `lists`' }),
    ),
    values: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 100_000,
        description: 'list: inline values (instead of, or in addition to, `list`)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'One fraud rule',
    'x-kubernetes-validations': [
      {
        rule: "!(self.kind in ['velocity', 'distinctCount']) || (has(self.key) && has(self.window) && has(self.threshold))",
        message: 'velocity and distinctCount rules need key, window and threshold',
      },
      {
        rule: "self.kind != 'distinctCount' || has(self.field)",
        message: 'distinctCount rules need field',
      },
      {
        rule: "self.kind != 'expression' || has(self.expression)",
        message: 'expression rules need expression',
      },
      {
        rule: "self.kind != 'list' || (has(self.field) && has(self.match) && (has(self.list) || has(self.values)))",
        message: 'list rules need field, match and list or values',
      },
    ],
  },
);

export const FraudRuleSettings = Type.Object(
  {
    allowedLateness: duration(
      'How far behind its partition’s newest receipt time an application may reach the window stage (a lagging source replica, a replay) and still find all the window state it could need; window state is kept for allowedLateness + the event-time horizon + the longest window (see the detector README)',
      '10m',
    ),
    keyIdleTimeout: duration(
      'Accepted for compatibility and ignored: window state is bounded by the event-time horizon (EVENT_TIME_HORIZON_MS), keys go with their last entry',
      '1h',
    ),
    maxEntriesPerKey: Type.Integer({
      minimum: 10,
      maximum: 100_000,
      default: 1000,
      description: 'Cap on remembered applications per key (the oldest are dropped beyond it)',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Stream settings of the rule set' },
);

export const FraudRuleSet = Type.Object(
  {
    version: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$',
      description: 'Version of the whole rule set (exported as a metric label)',
    }),
    settings: FraudRuleSettings,
    lists: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9_.-]{1,63}$' }),
        Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100_000 }),
        { description: 'Named block lists (emails, domains, CIDR ranges, device ids) used by list rules' },
      ),
    ),
    rules: Type.Array(FraudRule, {
      maxItems: 500,
      description: 'The rules; ids must be unique',
      'x-kubernetes-list-type': 'atomic',
    }),
  },
  {
    additionalProperties: false,
    $id: 'credit.fraud-rules.v1',
    title: 'Fraud rule set',
    description: 'Declarative fraud rules of the streaming fraud detector',
  },
);

export type FraudRule = Static<typeof FraudRule>;
export type FraudRuleSet = Static<typeof FraudRuleSet>;
export type FraudRuleSettings = Static<typeof FraudRuleSettings>;
export type Severity = (typeof SEVERITIES)[number];
export type RuleMode = (typeof MODES)[number];
export type ListMatch = (typeof LIST_MATCHES)[number];

/** The rule-set JSON Schema as plain data (what the CRD generator embeds). */
export function fraudRuleSetJsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(FraudRuleSet)) as Record<string, unknown>;
}

const RULE_DURATION = new RegExp(RULE_DURATION_PATTERN);
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a `Duration` string; throws on a malformed one. */
export function durationMs(text: string): number {
  if (!RULE_DURATION.test(text))
    throw new Error(`invalid duration "${text}" (expected e.g. 30s, 15m, 1h, 7d)`);
  const unit = text.replace(/^[0-9]+/, '') as keyof typeof UNIT_MS;
  return Number.parseInt(text, 10) * UNIT_MS[unit];
}
