/** Rules on one application (expression and list rules): pure, stateless, evaluated at the source. */

import { alertId, type FraudAlert } from '../../../api/alert.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import type { EventTimes } from './event-time.ts';

/**
 * Alerts (live and shadow) the event rules raise for one application. `times` (core/event-time.ts)
 * gives the alert's event time: the window time, as window alerts of the same application have it.
 */
export function evaluateEventRules(
  rules: CompiledRuleSet,
  event: ApplicationEvent,
  detectedAt: Date,
  times?: EventTimes,
): FraudAlert[] {
  const out: FraudAlert[] = [];
  // Formatted only when a rule fires (most applications raise nothing).
  let eventTime: string | undefined;
  let detected: string | undefined;
  for (const rule of rules.eventRules) {
    const evidence = rule.test(event);
    if (evidence === undefined) continue;
    eventTime ??= times === undefined ? event.submittedAt : new Date(times.window).toISOString();
    detected ??= detectedAt.toISOString();
    out.push({
      alertId: alertId(event.applicationId, rule.id, rule.version),
      applicationId: event.applicationId,
      customerId: event.applicant.customerId,
      ruleId: rule.id,
      ruleVersion: rule.version,
      ruleKind: rule.kind,
      ruleSetVersion: rules.version,
      severity: rule.severity,
      reasonCode: rule.reasonCode,
      mode: rule.mode,
      eventTime,
      detectedAt: detected,
      evidence: { kind: rule.kind, ...evidence },
    });
  }
  return out;
}
