/** Rules on one application (expression and list rules): pure, stateless, evaluated at the source. */

import { alertId, type FraudAlert } from '../../../api/alert.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';

/** Alerts (live and shadow) the event rules raise for one application. */
export function evaluateEventRules(
  rules: CompiledRuleSet,
  event: ApplicationEvent,
  detectedAt: Date,
): FraudAlert[] {
  const out: FraudAlert[] = [];
  for (const rule of rules.eventRules) {
    const evidence = rule.test(event);
    if (evidence === undefined) continue;
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
      eventTime: event.submittedAt,
      detectedAt: detectedAt.toISOString(),
      evidence: { kind: rule.kind, ...evidence },
    });
  }
  return out;
}
