/** Verdict parts as the detector's stages build them (pure). */
import { describe, expect, it } from 'vitest';
import type { FraudAlert } from '../../../api/alert.ts';
import { sourcePart, sourcePartition, windowPart } from '../../../workloads/fraud-detector/core/verdict.ts';

describe('verdict parts', () => {
  it('reads the application partition from a source reference, and nothing from a malformed one', () => {
    expect(sourcePartition('credit_applications/2/1234')).toBe(2);
    expect(sourcePartition('apps/0/0')).toBe(0);
    expect(sourcePartition('apps/17/9')).toBe(17);
    for (const bad of [undefined, '', 'apps', '2/1234', 'apps//1', 'apps/x/1', 'apps/-1/3', 'apps/1.5/3'])
      expect(sourcePartition(bad), String(bad)).toBeUndefined();
  });

  it('keeps in a window part only the alerts raised on its application', () => {
    const alert = (applicationId: string) =>
      ({
        alertId: `${applicationId}:velocity:1`,
        applicationId,
        ruleId: 'velocity',
        ruleVersion: 1,
        severity: 'high',
        mode: 'live',
        reasonCode: 'R',
      }) as FraudAlert;
    const part = windowPart({
      applicationId: 'a',
      customerId: 'c',
      keyPath: 'channel.deviceId',
      checkedAt: 't',
      alerts: [alert('a'), alert('b')],
    });
    expect(part.alerts.map((a) => a.alertId)).toEqual(['a:velocity:1']);
    expect(Object.keys(part.alerts[0] ?? {}).sort()).toEqual(
      ['alertId', 'mode', 'reasonCode', 'ruleId', 'ruleVersion', 'severity'].sort(),
    );
    expect(
      windowPart({ applicationId: 'a', customerId: 'c', keyPath: 'k', checkedAt: 't', alerts: [] }).alerts,
    ).toEqual([]);
    const source = sourcePart({
      applicationId: 'a',
      customerId: 'c',
      checkedAt: 't',
      ruleSetVersion: 'v',
      alerts: [],
      windowKeys: ['k', 'k', 'j'],
      beyondHorizon: false,
    });
    expect(source.windowKeys).toEqual(['k', 'j']);
  });
});
