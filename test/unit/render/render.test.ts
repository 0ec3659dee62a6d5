import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import { renderPipeline } from '../../../cdk8s/render.ts';
import { parseRenderArgs, UsageError } from '../../../cli/render/args.ts';
import { PLACEHOLDER_SECRET, renderDocuments, toYamlStream } from '../../../cli/render/render.ts';
import { creditPipelineValidator } from '../../../cli/render/validate.ts';
import { DEFAULT_OPERATOR_IMAGE } from '../../../operator/config.ts';
import { stampChild } from '../../../operator/reconcile/ownership.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const input = {
  capabilities: { strimzi: true, monitoring: true },
  operatorImage: DEFAULT_OPERATOR_IMAGE,
  dashboards: { 'fraud.json': '{"uid":"fraud"}' },
  namespace: 'default',
};

describe('render arguments', () => {
  it('reads files, the optional APIs to assume, the namespace and the image', () => {
    expect(
      parseRenderArgs([
        '-f',
        'a.yaml',
        '--filename=b.yaml',
        '--assume',
        'strimzi',
        '-n',
        'x',
        '--image',
        'i:1',
      ]),
    ).toEqual({
      files: ['a.yaml', 'b.yaml'],
      capabilities: { strimzi: true, monitoring: false },
      namespace: 'x',
      image: 'i:1',
      help: false,
    });
    expect(parseRenderArgs(['-f', 'a']).capabilities).toEqual({ strimzi: true, monitoring: true });
    expect(parseRenderArgs(['-f', 'a', '--assume=none']).capabilities).toEqual({
      strimzi: false,
      monitoring: false,
    });
    expect(parseRenderArgs(['-f', 'a', '--assume', 'prometheus-operator']).capabilities).toEqual({
      strimzi: false,
      monitoring: true,
    });
  });

  it('refuses unknown APIs, unknown flags and no file', () => {
    expect(() => parseRenderArgs(['-f', 'a', '--assume', 'istio'])).toThrow(UsageError);
    expect(() => parseRenderArgs(['-f', 'a', '--bogus'])).toThrow(UsageError);
    expect(() => parseRenderArgs([])).toThrow(/no file/);
    expect(() => parseRenderArgs(['-f'])).toThrow(/needs a value/);
  });
});

describe('renderDocuments', () => {
  const example = readFileSync(`${root}examples/creditpipeline.yaml`, 'utf8');

  it('prints exactly what the operator applies: the renderer, then the apply layer stamp', () => {
    const out = renderDocuments(example, 'example', input);
    expect(out.errors).toEqual([]);
    expect(out.pipelines).toBe(1);
    const cp = creditPipelineValidator().validate(parse(example)).object as unknown as CreditPipeline;
    cp.metadata.uid = '00000000-0000-0000-0000-000000000000';
    const expected = renderPipeline(cp, {
      strimzi: true,
      monitoring: true,
      operatorImage: DEFAULT_OPERATOR_IMAGE,
      dashboards: input.dashboards,
      existingSecrets: {},
      randomSecret: () => PLACEHOLDER_SECRET,
    }).objects.map((d) => stampChild(cp, d).object);
    expect(out.objects).toEqual(expected);
  });

  it('skips other kinds and reports invalid pipelines and unreadable YAML', () => {
    const kafka = readFileSync(`${root}examples/kafka.yaml`, 'utf8');
    expect(renderDocuments(kafka, 'kafka', input)).toEqual({ objects: [], errors: [], pipelines: 0 });
    const bad =
      'apiVersion: creditplatform.dev/v1alpha1\nkind: CreditPipeline\nmetadata: {name: b}\nspec: {kafka: {}}\n';
    const out = renderDocuments(bad, 'bad.yaml', input);
    expect(out.objects).toEqual([]);
    expect(out.errors).toEqual([
      'bad.yaml: CreditPipeline "b" is invalid:',
      '* spec.kafka: Invalid value: "object": exactly one of strimziCluster and bootstrapServers must be set',
      '* spec.kafka.topicManagement: Invalid value: "object": topicManagement strimzi requires strimziCluster; use topicManagement: direct with bootstrapServers',
    ]);
    expect(renderDocuments('a: [', 'broken.yaml', input).errors[0]).toMatch(/^broken.yaml: /);
  });

  it('puts pipelines without a namespace into the given one', () => {
    const noNs = example.replace(/^ {2}namespace: .*\n/m, '');
    const out = renderDocuments(noNs, 'x', { ...input, namespace: 'team-a' });
    expect(new Set(out.objects.map((o) => o.metadata.namespace))).toEqual(new Set(['team-a']));
  });

  it('writes a YAML stream that reads back to the same objects', () => {
    const { objects } = renderDocuments(example, 'example', input);
    expect(parseAllDocuments(toYamlStream(objects)).map((d) => d.toJS())).toEqual(objects);
  });

  it('every CEL rule of the CRD compiles in the validator’s engine', () => {
    expect(creditPipelineValidator().uncompilableRules()).toEqual([]);
  });
});
