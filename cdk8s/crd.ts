/**
 * The CreditPipeline CustomResourceDefinition, built from the TypeBox schemas in
 * api/v1alpha1.ts. TypeBox emits JSON Schema; this turns it into a Kubernetes structural
 * schema (enums instead of unions of constants, additionalProperties instead of patternProperties,
 * no `additionalProperties: false`, which the API server replaces with pruning).
 */
import { stringify } from 'yaml';
import {
  API_VERSION,
  CRD_NAME,
  crdSchemas,
  GROUP,
  KIND,
  LIST_KIND,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
} from '../api/v1alpha1.ts';
import { alertRuleGroups } from '../dashboards/alerts/rules.ts';
import { OPERATOR_ALERT_GROUP } from './monitoring.ts';

export const CRD_FILE = `${GROUP}_${PLURAL}.yaml`;
/** Where the generated CRD lives; the chart's copy must be identical. */
export const CRD_PATHS = [`crds/${CRD_FILE}`, `charts/credit-platform/crds/${CRD_FILE}`] as const;

/** Pipeline names are kept short so every child name (`<name>-warehouse-migrate-<hash>`) fits 63 characters. */
export const MAX_PIPELINE_NAME = 30;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Converts one TypeBox/JSON-Schema node (recursively) to a structural schema node. */
export function toStructural(node: Json): Json {
  if (Array.isArray(node)) return node.map(toStructural);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  const anyOf = node.anyOf;
  if (Array.isArray(anyOf) && anyOf.every((a) => isObject(a) && a.const !== undefined)) {
    const values = anyOf.map((a) => (a as JsonObject).const as Json);
    const type = typeof values[0] === 'number' ? 'integer' : typeof values[0];
    out.type = type;
    out.enum = values;
  } else if (node.const !== undefined) {
    out.type = typeof node.const === 'number' ? 'integer' : typeof node.const;
    out.enum = [node.const];
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'anyOf' && out.enum !== undefined) continue;
    if (key === 'const' || key === '$id' || key === '$schema') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'patternProperties') {
      if (node['x-kubernetes-preserve-unknown-fields'] === true) continue;
      const schemas = Object.values(value as JsonObject);
      if (schemas.length !== 1)
        throw new Error('patternProperties with more than one pattern cannot be structural');
      out.additionalProperties = toStructural(schemas[0] as Json);
      continue;
    }
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toStructural(v)]));
      continue;
    }
    out[key] = toStructural(value);
  }
  // A field with a default is optional to the user: the API server fills it in. (TypeBox marks it
  // required so the TypeScript type of a stored object has it; the API server would also reject a
  // parent's `default: {}` that lacks a required field, since it validates defaults as written.)
  if (Array.isArray(out.required) && isObject(out.properties)) {
    const props = out.properties;
    const required = out.required.filter(
      (k) => !(isObject(props[k as string]) && (props[k as string] as JsonObject).default !== undefined),
    );
    if (required.length === 0) delete out.required;
    else out.required = required;
  }
  return orderKeys(out);
}

/** `type` and `description` first, so the generated YAML reads well. */
function orderKeys(node: JsonObject): JsonObject {
  const { type, description, ...rest } = node;
  return {
    ...(type === undefined ? {} : { type }),
    ...(description === undefined ? {} : { description }),
    ...rest,
  };
}

const plain = (schema: unknown): Json =>
  expandDefaults(toStructural(JSON.parse(JSON.stringify(schema)) as Json));

/**
 * Writes object defaults out in full (`default: {}` becomes the object with its fields' defaults).
 * Same meaning (the API server defaults inside a defaulted object), but the API server validates a
 * default as written, CEL rules included, so a bare `{}` would fail rules that read its fields.
 */
export function expandDefaults(node: Json): Json {
  if (Array.isArray(node)) return node.map(expandDefaults);
  if (!isObject(node)) return node;
  const out: JsonObject = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === 'default' ? v : expandDefaults(v)]),
  );
  if (out.default !== undefined) out.default = defaulted(out, structuredClone(out.default));
  return out;
}

/** `value` with the defaults of `schema`'s properties filled in, recursively. */
function defaulted(schema: JsonObject, value: Json): Json {
  if (!isObject(value) || !isObject(schema.properties)) return value;
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (!isObject(prop)) continue;
    if (value[key] === undefined && prop.default !== undefined) value[key] = structuredClone(prop.default);
    if (value[key] !== undefined) value[key] = defaulted(prop, value[key] as Json);
  }
  return value;
}

export function buildCrd(): JsonObject {
  const openAPIV3Schema: JsonObject = {
    type: 'object',
    description:
      'CreditPipeline: one real-time fraud-alert and credit-risk-scoring pipeline (ingestion API, Kafka topics, fraud detector, warehouse, scoring, monitoring), made to exist and kept so by the credit-platform operator.',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: `${API_VERSION}` },
      kind: { type: 'string', description: KIND },
      metadata: { type: 'object' },
      spec: plain(crdSchemas.spec),
      status: plain(crdSchemas.status),
    },
    'x-kubernetes-validations': [
      {
        rule: `size(self.metadata.name) <= ${MAX_PIPELINE_NAME} && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')`,
        message: `metadata.name must be a DNS label of at most ${MAX_PIPELINE_NAME} characters starting with a letter (child names add suffixes)`,
        reason: 'FieldValueInvalid',
      },
    ],
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: {
        'app.kubernetes.io/name': 'credit-platform',
        'app.kubernetes.io/part-of': 'credit-platform',
        'app.kubernetes.io/component': 'crd',
      },
    },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: LIST_KIND,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: [...SHORT_NAMES],
        categories: ['credit-platform'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.fraudDetector.replicas',
              statusReplicasPath: '.status.fraudDetector.replicas',
              labelSelectorPath: '.status.fraudDetector.selector',
            },
          },
          additionalPrinterColumns: [
            {
              name: 'Ready',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].status',
              description: 'Whether every part of the pipeline is ready.',
            },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
              priority: 1,
              description: 'Why the pipeline is (not) ready.',
            },
            {
              name: 'Detector',
              type: 'integer',
              jsonPath: '.status.fraudDetector.readyReplicas',
              description: 'Ready fraud detector replicas.',
            },
            {
              name: 'Last scoring',
              type: 'date',
              jsonPath: '.status.lastScoring.time',
              description: 'When the last scoring run finished.',
            },
            {
              name: 'Scoring result',
              type: 'string',
              jsonPath: '.status.lastScoring.result',
              priority: 1,
              description: 'Outcome of the last scoring run.',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}

export const CRD_HEADER =
  '# Generated by cdk8s/generate-crd.ts from api/v1alpha1.ts (make crds). Do not edit.\n';

export function renderCrdYaml(): string {
  return `${CRD_HEADER}${stringify(buildCrd(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The operator's own alert rules, shipped once by the chart (PrometheusRule `spec.groups`). */
export const OPERATOR_RULES_PATH = 'charts/credit-platform/files/operator-alert-rules.yaml';

export function renderOperatorRulesYaml(): string {
  const groups = alertRuleGroups().filter((g) => g.name === OPERATOR_ALERT_GROUP);
  if (groups.length === 0) throw new Error(`no ${OPERATOR_ALERT_GROUP} group in dashboards/alerts/rules.ts`);
  return `# Generated by cdk8s/generate-crd.ts from dashboards/alerts/rules.ts (make crds). Do not edit.\n${stringify(
    { groups },
    { lineWidth: 0 },
  )}`;
}

/** Every generated file (repository-relative path → content); a unit test keeps them committed. */
export function generatedFiles(): Record<string, string> {
  const crd = renderCrdYaml();
  return {
    ...Object.fromEntries(CRD_PATHS.map((p) => [p, crd])),
    [OPERATOR_RULES_PATH]: renderOperatorRulesYaml(),
  };
}
