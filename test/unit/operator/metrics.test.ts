import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../operator/metrics.ts';

describe('credit_operator_pipeline_condition', () => {
  it('exports each condition of each pipeline at scrape time, and nothing once the source is cleared', async () => {
    const m = createMetrics(false);
    let scoring = { type: 'ScoringReady', status: 'True', reason: 'ScheduleActive' };
    m.setConditionSource(() => [
      {
        namespace: 'lending',
        pipeline: 'demo',
        conditions: [{ type: 'Ready', status: 'True', reason: 'AllPartsReady' }, scoring],
      },
    ]);
    const text = await m.registry.metrics();
    expect(text).toContain(
      'credit_operator_pipeline_condition{pipeline_namespace="lending",pipeline="demo",type="Ready",status="True",reason="AllPartsReady"} 1',
    );
    // A changed condition replaces its old series instead of adding to it.
    scoring = { type: 'ScoringReady', status: 'False', reason: 'LastRunFailed' };
    const after = await m.registry.metrics();
    expect(after).toContain('type="ScoringReady",status="False",reason="LastRunFailed"} 1');
    expect(after).not.toContain('reason="ScheduleActive"');
    m.setConditionSource(() => []);
    expect(await m.registry.metrics()).not.toMatch(/^credit_operator_pipeline_condition\{/m);
  });
});
