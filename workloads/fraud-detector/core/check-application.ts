/**
 * The source stage's work on one valid application, as a pure function: its event times, the
 * per-application rules, whether it is beyond the event-time horizon, its repartition keys (none when
 * beyond) and its source verdict part. The stage (io/source-stage.ts) adds the I/O around it; the CPU
 * bench (bench/fraud-detector/core-cpu.ts) times exactly this.
 */
import type { FraudAlert } from '../../../api/alert.ts';
import type { SourceVerdictPart } from '../../../api/verdict.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { evaluateEventRules } from './event-rules.ts';
import { type EventTimes, eventTimes, isBeyondHorizon, receiptTime } from './event-time.ts';
import { type RepartitionKey, repartitionKeys } from './repartition.ts';
import { sourcePart } from './verdict.ts';

export interface ApplicationCheck {
  times: EventTimes | undefined;
  raised: FraudAlert[];
  beyondHorizon: boolean;
  keys: RepartitionKey[];
  part: SourceVerdictPart;
}

export function checkApplication(
  rules: CompiledRuleSet,
  event: ApplicationEvent,
  /** The Kafka record's timestamp (ms, as text): the receipt time of events without `receivedAt`. */
  recordTimestamp: string,
  now: Date,
  /** `now` in RFC 3339 (one string per batch). */
  checkedAt: string,
  horizonMs: number,
): ApplicationCheck {
  const receivedAt = receiptTime(event, recordTimestamp);
  const times = eventTimes(event.submittedAt, receivedAt);
  const raised = evaluateEventRules(rules, event, now, times);
  const beyondHorizon = times !== undefined && isBeyondHorizon(times, horizonMs);
  const keys = beyondHorizon ? [] : repartitionKeys(rules, event, receivedAt);
  const part = sourcePart({
    applicationId: event.applicationId,
    customerId: event.applicant.customerId,
    checkedAt,
    ruleSetVersion: rules.version,
    alerts: raised,
    windowKeys: keys.map((k) => k.keyPath),
    beyondHorizon,
  });
  return { times, raised, beyondHorizon, keys, part };
}
