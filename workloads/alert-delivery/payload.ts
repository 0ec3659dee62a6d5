/**
 * What an endpoint receives, pure: which alerts it wants (severities, rules, modes) and the body, the
 * platform's JSON (the alert as the warehouse loads it: pseudonymous ids, evidence with personal
 * fields redacted) or a Slack incoming-webhook message.
 */
import type { AlertRow } from '../warehouse-loader/rows.ts';
import type { WebhookEndpoint } from './config.ts';

/** The alert fields a receiver gets (the topic message minus Kafka positions). */
export interface AlertPayload {
  alertId: string;
  applicationId: string;
  ruleId: string;
  ruleVersion: string;
  severity: AlertRow['severity'];
  reasonCode: string;
  mode: AlertRow['mode'];
  eventTime: string;
  detectedAt: string;
  evidence: Record<string, unknown>;
}

export function toPayload(a: AlertRow): AlertPayload {
  return {
    alertId: a.alertId,
    applicationId: a.applicationId,
    ruleId: a.ruleId,
    ruleVersion: a.ruleVersion,
    severity: a.severity,
    reasonCode: a.reasonCode,
    mode: a.mode,
    eventTime: a.eventTime,
    detectedAt: a.detectedAt,
    evidence: a.evidence,
  };
}

export function wants(
  endpoint: Pick<WebhookEndpoint, 'severities' | 'rules' | 'modes'>,
  a: AlertPayload,
): boolean {
  if (!endpoint.modes.includes(a.mode)) return false;
  if (endpoint.severities !== undefined && !endpoint.severities.includes(a.severity)) return false;
  if (endpoint.rules !== undefined && !endpoint.rules.includes(a.ruleId)) return false;
  return true;
}

const SEVERITY_EMOJI: Record<AlertPayload['severity'], string> = {
  low: ':large_blue_circle:',
  medium: ':large_yellow_circle:',
  high: ':large_orange_circle:',
  critical: ':red_circle:',
};

export function body(format: WebhookEndpoint['format'], a: AlertPayload): string {
  if (format === 'json') return JSON.stringify({ type: 'credit.fraud-alert.v1', ...a });
  const count = typeof a.evidence.count === 'number' ? ` · ${a.evidence.count} in window` : '';
  const text = `${SEVERITY_EMOJI[a.severity]} ${a.severity.toUpperCase()} fraud alert: ${a.ruleId} (${a.reasonCode}) on application ${a.applicationId}`;
  return JSON.stringify({
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `rule v${a.ruleVersion} · ${a.mode} · detected ${a.detectedAt}${count} · alert ${a.alertId}`,
          },
        ],
      },
    ],
  });
}
