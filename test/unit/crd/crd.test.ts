import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CreditPipelineSpec, specErrors, withSpecDefaults } from '../../../api/v1alpha1.ts';
import {
  buildCrd,
  CRD_PATHS,
  generatedFiles,
  OPERATOR_RULES_PATH,
  renderCrdYaml,
  toStructural,
} from '../../../cdk8s/crd.ts';

type Node = Record<string, unknown>;
const root = new URL('../../../', import.meta.url);

/** Visits every schema node with its JSON path. */
function walk(node: Node, path: string, visit: (n: Node, p: string) => void): void {
  visit(node, path);
  for (const [k, v] of Object.entries((node.properties as Record<string, Node>) ?? {}))
    walk(v, `${path}.${k}`, visit);
  if (typeof node.items === 'object') walk(node.items as Node, `${path}[]`, visit);
  if (typeof node.additionalProperties === 'object')
    walk(node.additionalProperties as Node, `${path}{}`, visit);
}

const version = () => {
  const crd = buildCrd() as { spec: { versions: Array<Node & { schema: { openAPIV3Schema: Node } }> } };
  return crd.spec.versions[0] as Node & { schema: { openAPIV3Schema: Node } };
};

describe('CreditPipeline CRD', () => {
  it.each(CRD_PATHS)('committed %s equals the generated CRD (run `make crds`)', (rel) => {
    expect(readFileSync(new URL(rel, root), 'utf8')).toBe(renderCrdYaml());
  });

  it('committed chart operator alert rules equal the generated ones (run `make crds`)', () => {
    expect(readFileSync(new URL(OPERATOR_RULES_PATH, root), 'utf8')).toBe(
      generatedFiles()[OPERATOR_RULES_PATH],
    );
  });

  it('has a structural schema: every node typed (or preserving unknown fields), no unions or patternProperties', () => {
    const schema = version().schema.openAPIV3Schema;
    walk(schema, '', (n, p) => {
      if (n['x-kubernetes-preserve-unknown-fields'] !== true)
        expect(n.type, `${p} has a type`).toBeTypeOf('string');
      for (const banned of ['anyOf', 'oneOf', 'allOf', 'patternProperties', 'const', '$id'])
        expect(n[banned], `${p}.${banned}`).toBeUndefined();
      expect(n.additionalProperties, `${p} additionalProperties: false`).not.toBe(false);
    });
  });

  it('describes every spec field', () => {
    const spec = (version().schema.openAPIV3Schema.properties as Record<string, Node>).spec as Node;
    walk(spec, 'spec', (n, p) => {
      // Items, map values and the embedded fraud rule format (owned by the fraud detector) aside.
      if (p.endsWith('{}') || p.endsWith('[]') || p.includes('.rules.inline.')) return;
      expect(n.description, `${p} has a description`).toBeTypeOf('string');
    });
  });

  it('bounds every string a CEL rule reads (the API server rejects unbounded rule cost)', () => {
    walk(version().schema.openAPIV3Schema, '', (n, p) => {
      if (n.type === 'string' && n['x-kubernetes-validations'] !== undefined)
        expect(n.maxLength, `${p} maxLength`).toBeTypeOf('number');
    });
  });

  it('has status and scale subresources for the detector replicas, and the printer columns', () => {
    const v = version();
    expect(v.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.fraudDetector.replicas',
        statusReplicasPath: '.status.fraudDetector.replicas',
        labelSelectorPath: '.status.fraudDetector.selector',
      },
    });
    const columns = (v.additionalPrinterColumns as Array<{ name: string }>).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['Ready', 'Detector', 'Last scoring', 'Age']));
  });

  it('gives the status conditions the metav1.Condition shape, listed as a map keyed by type', () => {
    const status = (version().schema.openAPIV3Schema.properties as Record<string, Node>).status as Node;
    const conditions = (status.properties as Record<string, Node>).conditions as Node;
    expect(conditions['x-kubernetes-list-type']).toBe('map');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(((conditions.items as Node).required as string[]).sort()).toEqual(
      ['lastTransitionTime', 'message', 'reason', 'status', 'type'].sort(),
    );
  });

  it('turns unions of literals into enums and records into additionalProperties', () => {
    const spec = toStructural(JSON.parse(JSON.stringify(CreditPipelineSpec))) as Node;
    const kafka = (spec.properties as Record<string, Node>).kafka as Node;
    expect((kafka.properties as Record<string, Node>).topicManagement).toMatchObject({
      type: 'string',
      enum: ['strimzi', 'direct'],
      default: 'strimzi',
    });
    const monitoring = (spec.properties as Record<string, Node>).monitoring as Node;
    expect((monitoring.properties as Record<string, Node>).labels).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
  });

  it('accepts the examples under the TypeBox schema once defaulted', () => {
    for (const file of [
      'creditpipeline.yaml',
      'creditpipeline-minimal.yaml',
      'creditpipeline-external.yaml',
    ]) {
      const doc = parse(readFileSync(new URL(`examples/${file}`, root), 'utf8')) as { spec: unknown };
      const spec = withSpecDefaults(doc.spec);
      expect(specErrors(spec), file).toEqual([]);
    }
  });
});
