import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyLine } from '../../../workloads/warehouse/copy.ts';
import {
  type DecisionRecordInput,
  decisionRecordLine,
  decisionRecordRow,
} from '../../../workloads/warehouse/decision-records.ts';

const outcome = fc.constantFrom('approve' as const, 'refer' as const, 'decline' as const);
/** Texts with what COPY and array literals escape: backslash, tab, newline, CR, quotes, braces, commas. */
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('P01', 'a\\b', 'tab\there', 'nl\nx', 'cr\r', '"q"', '{x,y}', 'é😀', ''),
);

const record: fc.Arbitrary<DecisionRecordInput> = fc.record({
  applicationId: fc.uuid(),
  decision: outcome,
  scoreDecision: outcome,
  policyRules: fc.array(text, { maxLength: 4 }),
  reasonCodes: fc.array(text, { maxLength: 4 }),
  fraudSeverity: fc.option(fc.constantFrom('low', 'medium', 'high', 'critical'), { nil: null }),
  approvedAmount: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 1e7, noNaN: true })),
  modelKey: text,
  modelChecksum: fc.constantFrom('a'.repeat(64), 'b'.repeat(64)),
  source: fc.constantFrom('stream' as const, 'batch' as const, 'backfill' as const),
  runId: fc.option(text, { nil: null }),
  issuedAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
});

describe('a decision record as a COPY line', () => {
  it('is copyLine of its row, for any record', () => {
    fc.assert(
      fc.property(record, (d) => {
        expect(decisionRecordLine(d)).toBe(copyLine(decisionRecordRow(d)));
      }),
      { numRuns: 500 },
    );
  });

  it('stays right when records of one run alternate with records of another (the shared fields change)', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 2, maxLength: 6 }),
        fc.array(fc.nat(5), { maxLength: 30 }),
        (rs, order) => {
          for (const i of order) {
            const d = rs[i % rs.length] as DecisionRecordInput;
            expect(decisionRecordLine(d)).toBe(copyLine(decisionRecordRow(d)));
          }
        },
      ),
    );
  });
});
