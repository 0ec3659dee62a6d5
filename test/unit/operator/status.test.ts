import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CONDITION_TYPES, type Condition } from '../../../api/v1alpha1.ts';
import { findCondition, initialConditions, setCondition } from '../../../operator/reconcile/conditions.ts';
import { computeStatus, lastScoringRun, type StatusInputs } from '../../../operator/reconcile/status.ts';
import { observedFrom, pipeline, renderParts } from './fixtures.ts';

const T0 = new Date('2026-01-01T10:00:00.123Z');
const T1 = new Date('2026-01-01T10:05:00Z');

function inputs(over: Partial<StatusInputs> & Pick<StatusInputs, 'cp'>): StatusInputs {
  return {
    mode: 'applied',
    desired: null,
    expectedHashes: new Map(),
    observed: new Map(),
    scoringJobs: [],
    strimziInstalled: true,
    monitoringInstalled: true,
    problems: [],
    detectorName: 'demo-fraud-detector',
    ...over,
  };
}

const cond = (conds: Condition[] | undefined, t: string) => findCondition(conds, t);

describe('conditions', () => {
  it('sets every condition type to Unknown on first sight, with second-precision times', () => {
    const c = initialConditions(3, T0);
    expect(c.map((x) => x.type)).toEqual([...CONDITION_TYPES]);
    expect(c.every((x) => x.status === 'Unknown' && x.observedGeneration === 3)).toBe(true);
    expect(c[0]?.lastTransitionTime).toBe('2026-01-01T10:00:00Z');
  });

  it('keeps lastTransitionTime while the status stays, and moves it when the status changes', () => {
    let c = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'PartsNotReady', message: 'a' },
      1,
      T0,
    );
    c = setCondition(c, { type: 'Ready', status: 'False', reason: 'Degraded', message: 'b' }, 2, T1);
    expect(cond(c, 'Ready')).toMatchObject({
      reason: 'Degraded',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T10:00:00Z',
    });
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'AllPartsReady', message: '' }, 2, T1);
    expect(cond(c, 'Ready')?.lastTransitionTime).toBe('2026-01-01T10:05:00Z');
    expect(c).toHaveLength(1);
  });

  it('rejects a reason that is not one CamelCase word', () => {
    expect(() =>
      setCondition([], { type: 'Ready', status: 'True', reason: 'all ready', message: '' }, 1, T0),
    ).toThrow(/CamelCase/);
  });
});

describe('computeStatus', () => {
  const cp = pipeline();
  const desired = renderParts(cp);

  it('reports parts as not ready while their children do not exist yet', () => {
    const s = computeStatus(inputs({ cp, desired }), T0);
    expect(cond(s.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'PartsNotReady' });
    expect(cond(s.conditions, 'Progressing')).toMatchObject({ status: 'True', reason: 'WaitingForParts' });
    expect(cond(s.conditions, 'DetectorReady')?.message).toContain(
      'Deployment demo-fraud-detector does not exist yet',
    );
    expect(cond(s.conditions, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(s.observedGeneration).toBe(1);
  });

  it('is Ready in applied mode once every child is applied and observed by its controller', () => {
    const { observed, expected } = observedFrom(cp, desired);
    const s = computeStatus(inputs({ cp, desired, observed, expectedHashes: expected }), T0);
    for (const t of [
      'Ready',
      'TopicsReady',
      'StorageReady',
      'DetectorReady',
      'ScoringReady',
      'MonitoringReady',
    ])
      expect(cond(s.conditions, t)?.status, t).toBe('True');
    expect(cond(s.conditions, 'Progressing')).toMatchObject({ status: 'False', reason: 'ReconcileComplete' });
    expect(s.fraudDetector).toMatchObject({ replicas: 2, readyReplicas: 0 });
    expect(s.fraudDetector?.selector).toContain('app.kubernetes.io/name=fraud-detector');
    expect(s.topics).toEqual([
      'credit_apps',
      'credit_apps_dlq',
      'credit_decisions',
      'credit_verdicts',
      'fraud_alerts',
      'lending.demo.fraud-detector-repartition',
    ]);
  });

  it('waits for a controller that has not observed the new generation', () => {
    const { observed, expected } = observedFrom(cp, desired, (o) => {
      if (o.kind === 'StatefulSet') o.status = { observedGeneration: 0 };
    });
    const s = computeStatus(inputs({ cp, desired, observed, expectedHashes: expected }), T0);
    expect(cond(s.conditions, 'StorageReady')).toMatchObject({ status: 'False', reason: 'StorageNotReady' });
    expect(cond(s.conditions, 'StorageReady')?.message).toMatch(
      /StatefulSet demo-postgres: waiting for its controller/,
    );
  });

  it('treats a child with an older applied hash as being updated', () => {
    const { observed, expected } = observedFrom(cp, desired);
    const key = [...expected.keys()].find((k) =>
      k.includes('Deployment/lending/demo-fraud-detector'),
    ) as string;
    expected.set(key, 'new-hash');
    const s = computeStatus(inputs({ cp, desired, observed, expectedHashes: expected }), T0);
    expect(cond(s.conditions, 'DetectorReady')?.message).toContain('is being updated');
  });

  it('in available mode waits for available replicas', () => {
    const { observed, expected } = observedFrom(cp, desired);
    const s = computeStatus(
      inputs({ cp, desired, observed, expectedHashes: expected, mode: 'available' }),
      T0,
    );
    expect(cond(s.conditions, 'DetectorReady')).toMatchObject({
      status: 'False',
      reason: 'DetectorNotReady',
    });
    expect(cond(s.conditions, 'DetectorReady')?.message).toContain('0 of 2 replicas available');
    expect(cond(s.conditions, 'Ready')?.status).toBe('False');
  });

  it('says StrimziNotInstalled when the KafkaTopic API is missing, and Ready stays False', () => {
    const d = renderParts(cp, { strimzi: false, monitoring: true });
    const { observed, expected } = observedFrom(cp, d);
    const s = computeStatus(
      inputs({ cp, desired: d, observed, expectedHashes: expected, strimziInstalled: false }),
      T0,
    );
    expect(cond(s.conditions, 'TopicsReady')).toMatchObject({
      status: 'False',
      reason: 'StrimziNotInstalled',
    });
    expect(cond(s.conditions, 'TopicsReady')?.message).toMatch(/topicManagement: direct/);
    expect(cond(s.conditions, 'Ready')?.status).toBe('False');
  });

  it('skips monitoring without prometheus-operator and says so, without blocking Ready', () => {
    const d = renderParts(cp, { strimzi: true, monitoring: false });
    expect(d.objects.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const { observed, expected } = observedFrom(cp, d);
    const s = computeStatus(
      inputs({ cp, desired: d, observed, expectedHashes: expected, monitoringInstalled: false }),
      T0,
    );
    expect(cond(s.conditions, 'MonitoringReady')).toMatchObject({
      status: 'False',
      reason: 'PrometheusOperatorNotInstalled',
    });
    expect(cond(s.conditions, 'Ready')?.status).toBe('True');
  });

  it('reports problems as Degraded with the message, and not Ready', () => {
    const s = computeStatus(
      inputs({
        cp,
        desired: null,
        problems: [{ reason: 'RenderFailed', message: 'The spec could not be turned into objects: boom' }],
      }),
      T0,
    );
    expect(cond(s.conditions, 'Degraded')).toMatchObject({ status: 'True', reason: 'RenderFailed' });
    expect(cond(s.conditions, 'Degraded')?.message).toContain('boom');
    expect(cond(s.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(cond(s.conditions, 'Progressing')).toMatchObject({ status: 'False', reason: 'ReconcileFailed' });
  });

  it('uses the direct-mode topic outcome', () => {
    const direct = pipeline({ kafka: { bootstrapServers: 'k:9092', topicManagement: 'direct' } });
    const d = renderParts(direct);
    const { observed, expected } = observedFrom(direct, d);
    const bad = computeStatus(
      inputs({
        cp: direct,
        desired: d,
        observed,
        expectedHashes: expected,
        directTopics: { ok: false, reason: 'KafkaAdminFailed', message: 'no broker' },
      }),
      T0,
    );
    expect(cond(bad.conditions, 'TopicsReady')).toMatchObject({
      status: 'False',
      reason: 'KafkaAdminFailed',
      message: 'no broker',
    });
    const good = computeStatus(
      inputs({
        cp: direct,
        desired: d,
        observed,
        expectedHashes: expected,
        directTopics: { ok: true, topics: ['b', 'a'] },
      }),
      T0,
    );
    expect(cond(good.conditions, 'TopicsReady')).toMatchObject({ status: 'True', reason: 'TopicsCreated' });
    expect(good.topics).toEqual(['a', 'b']);
  });

  it('keeps lastTransitionTime of unchanged conditions across reconciles (no spurious status writes)', () => {
    const { observed, expected } = observedFrom(cp, desired);
    const first = computeStatus(inputs({ cp, desired, observed, expectedHashes: expected }), T0);
    const again = computeStatus(
      inputs({ cp: { ...cp, status: first }, desired, observed, expectedHashes: expected }),
      T1,
    );
    expect(again).toEqual(first);
  });
});

describe('scoring runs', () => {
  const job = (name: string, type: 'Complete' | 'Failed', time: string): KubernetesObject =>
    ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      status: {
        ...(type === 'Complete' ? { completionTime: time } : {}),
        conditions: [
          {
            type,
            status: 'True',
            lastTransitionTime: time,
            message: type === 'Failed' ? 'BackoffLimitExceeded' : undefined,
          },
        ],
      },
    }) as unknown as KubernetesObject;

  it('picks the newest finished Job', () => {
    const last = lastScoringRun([
      job('a', 'Complete', '2026-01-01T10:00:00Z'),
      job('b', 'Failed', '2026-01-01T11:00:00Z'),
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'running' } },
    ]);
    expect(last).toEqual({
      time: '2026-01-01T11:00:00Z',
      result: 'Failed',
      jobName: 'b',
      message: 'BackoffLimitExceeded',
    });
  });

  it('turns ScoringReady False when the last run failed', () => {
    const cp = pipeline();
    const desired = renderParts(cp);
    const { observed, expected } = observedFrom(cp, desired);
    const s = computeStatus(
      inputs({
        cp,
        desired,
        observed,
        expectedHashes: expected,
        scoringJobs: [job('demo-risk-scorer-1', 'Failed', '2026-01-01T11:00:00Z')],
      }),
      T0,
    );
    expect(cond(s.conditions, 'ScoringReady')).toMatchObject({ status: 'False', reason: 'LastRunFailed' });
    expect(s.lastScoring?.result).toBe('Failed');
  });

  it('reads each child’s part from the renderer', () => {
    const rendered = renderParts(pipeline());
    const partOf = (o: { kind: string; metadata: { name: string } }) =>
      Object.entries(rendered.parts).find(([, objs]) => objs.includes(o as (typeof objs)[number]))?.[0];
    const parts = new Map(rendered.objects.map((o) => [`${o.kind}/${o.metadata.name}`, partOf(o)]));
    expect(parts.get('Deployment/demo-fraud-detector')).toBe('detector');
    expect(parts.get('Deployment/demo-ingestion-api')).toBe('workloads');
    expect(parts.get('StatefulSet/demo-postgres')).toBe('storage');
    expect(parts.get('CronJob/demo-risk-scorer')).toBe('scoring');
    expect(parts.get('KafkaTopic/demo-alerts')).toBe('topics');
    expect(parts.get('Secret/demo-pseudonymization')).toBeUndefined();
  });
});
