/** Events and rule sets for the detector's unit tests. */
import { randomUUID } from 'node:crypto';
import type { FraudRule } from '../../../api/fraud-rules.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import type { WindowRecord } from '../../../workloads/fraud-detector/core/windows.ts';
import { type CompiledRuleSet, compileRuleSet } from '../../../workloads/fraud-detector/rules/compile.ts';

export const T0 = Date.parse('2026-03-10T12:00:00Z');
export const MIN = 60_000;

export function makeEvent(over: {
  id?: string;
  t?: number;
  customerId?: string;
  deviceId?: string;
  ipAddress?: string;
  nationalIdHash?: string;
  dateOfBirth?: string;
  firstName?: string;
  email?: string;
  annualIncome?: number;
}): ApplicationEvent {
  return {
    applicationId: over.id ?? randomUUID(),
    submittedAt: new Date(over.t ?? T0).toISOString(),
    schemaVersion: 'credit.application.v1',
    applicant: {
      customerId: over.customerId ?? 'C-1',
      firstName: over.firstName ?? 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: over.dateOfBirth ?? '1990-01-01',
      email: over.email ?? 'ada@example.test',
      phone: '+44 20 7946 0000',
      address: { line1: '1 High St', city: 'London', postcode: 'N1 1AA', country: 'GB' },
      nationalIdHash: over.nationalIdHash ?? 'a'.repeat(64),
    },
    employment: { status: 'employed', monthsInJob: 24, annualIncome: over.annualIncome ?? 40_000 },
    loan: { amount: 10_000, currency: 'GBP', termMonths: 36, purpose: 'auto' },
    credit: {
      monthlyDebtPayments: 200,
      openCreditLines: 2,
      delinquencies24m: 0,
      creditHistoryMonths: 60,
      bankruptcies: 0,
    },
    channel: { type: 'web', ipAddress: over.ipAddress ?? '192.0.2.10', deviceId: over.deviceId ?? 'dev-1' },
  };
}

export function ruleSet(
  rules: Array<Partial<FraudRule> & Pick<FraudRule, 'id' | 'kind'>>,
  settings: Record<string, unknown> = {},
): CompiledRuleSet {
  return compileRuleSet({
    version: 'test-1',
    settings,
    rules: rules.map((r) => ({
      version: 1,
      severity: 'high',
      reasonCode: 'TEST_REASON',
      enabled: true,
      mode: 'live',
      ...r,
    })),
  });
}

/**
 * The repartition projection of an event, with every field the tests count. `receivedAt` defaults to
 * the submission time (an honest client, received at once).
 */
export function recordOf(e: ApplicationEvent, receivedAt?: number): WindowRecord {
  return {
    applicationId: e.applicationId,
    customerId: e.applicant.customerId,
    submittedAt: e.submittedAt,
    receivedAt: receivedAt === undefined ? e.submittedAt : new Date(receivedAt).toISOString(),
    fields: {
      'applicant.customerId': e.applicant.customerId,
      'applicant.dateOfBirth': e.applicant.dateOfBirth,
      'applicant.firstName': e.applicant.firstName,
      'employment.annualIncome': String(e.employment.annualIncome),
    },
  };
}
