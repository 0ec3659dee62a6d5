import { describe, expect, it } from 'vitest';
import type { CreditPipeline, CreditPipelineStatus } from '../../../api/v1alpha1.ts';
import { WrittenStatuses } from '../../../operator/reconcile/written-statuses.ts';
import { pipeline } from './fixtures.ts';

const at = (cp: CreditPipeline, resourceVersion: string): CreditPipeline => ({
  ...cp,
  metadata: { ...cp.metadata, resourceVersion },
});

describe('WrittenStatuses', () => {
  const cp = pipeline();
  const written: CreditPipelineStatus = { observedGeneration: 1, conditions: [] };

  it('shows the status written over a version while the cache still holds that version', () => {
    const memo = new WrittenStatuses();
    const v1 = at(cp, '10');
    expect(memo.overlay('lending/demo', v1)).toBe(v1);
    memo.wrote('lending/demo', v1, written);
    expect(memo.overlay('lending/demo', v1).status).toEqual(written);
    expect(memo.overlay('lending/other', at(cp, '10'))).toEqual(at(cp, '10'));
  });

  it('gives the cache back the word once it holds another version, and forgets on request', () => {
    const memo = new WrittenStatuses();
    memo.wrote('lending/demo', at(cp, '10'), written);
    const v2 = at(cp, '11');
    expect(memo.overlay('lending/demo', v2)).toBe(v2);
    // The memo is gone: the old version no longer gets the written status either.
    expect(memo.overlay('lending/demo', at(cp, '10')).status).toEqual(cp.status);
    memo.wrote('lending/demo', at(cp, '12'), written);
    memo.forget('lending/demo');
    expect(memo.overlay('lending/demo', at(cp, '12')).status).toEqual(cp.status);
  });
});
