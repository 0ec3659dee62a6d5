/** The demo's webhook receiver on loopback: signatures checked, keys deduplicated, first attempts refused on purpose. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startReceiverThread,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../demo/fraud-ops-receiver.ts';
import { signatureHeader } from '../../../workloads/alert-delivery/signature.ts';

const KEY = 'k'.repeat(32);
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function post(
  r: Pick<WebhookReceiver, 'url'>,
  alertId: string,
  opts: { key?: string; idem?: string; attempt?: number } = {},
) {
  const body = JSON.stringify({
    type: 'credit.fraud-alert.v1',
    alertId,
    applicationId: 'app',
    ruleId: 'rule-a',
    mode: 'live',
  });
  const now = Math.floor(Date.now() / 1000);
  const res = await fetch(r.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-credit-signature': signatureHeader(opts.key ?? KEY, now, body),
      'idempotency-key': opts.idem ?? alertId,
      'x-credit-delivery-attempt': String(opts.attempt ?? 1),
    },
    body,
  });
  await res.text();
  return res.status;
}

describe('the demo webhook receiver', () => {
  it('accepts a signed alert once per idempotency key and counts a repeat as a duplicate', async () => {
    receiver = await startWebhookReceiver({ refuseFirstShare: 0 });
    receiver.setKey(KEY);
    expect(await post(receiver, 'alert-1')).toBe(200);
    expect(await post(receiver, 'alert-1', { attempt: 2 })).toBe(200);
    expect(await post(receiver, 'alert-2')).toBe(200);
    const s = receiver.stats();
    expect(s).toMatchObject({
      requests: 3,
      accepted: 2,
      duplicates: 1,
      signatureFailures: 0,
      byRule: { 'rule-a': 2 },
    });
    expect(receiver.alerts().get('alert-1')).toMatchObject({ deliveries: 2, maxAttempt: 2 });
  });

  it('refuses a wrong key (401) and a key that is not the alert id (400), processing neither', async () => {
    receiver = await startWebhookReceiver({ refuseFirstShare: 0 });
    receiver.setKey(KEY);
    expect(await post(receiver, 'alert-1', { key: 'x'.repeat(32) })).toBe(401);
    expect(await post(receiver, 'alert-1', { idem: 'other' })).toBe(400);
    expect(receiver.stats()).toMatchObject({ accepted: 0, signatureFailures: 1, malformed: 1 });
  });

  it('answers 503 until it has a key, and refuses only the first attempt of the chosen share', async () => {
    receiver = await startWebhookReceiver({ refuseFirstShare: 1 });
    expect(await post(receiver, 'alert-1')).toBe(503);
    receiver.setKey(KEY);
    expect(await post(receiver, 'alert-1')).toBe(503);
    expect(await post(receiver, 'alert-1', { attempt: 2 })).toBe(200);
    expect(receiver.stats()).toMatchObject({ accepted: 1, refusedOnPurpose: 1, duplicates: 0 });
  });

  it('runs in a worker thread of its own and answers the demo through messages', async () => {
    const thread = await startReceiverThread({ refuseFirstShare: 0 });
    try {
      expect(await post(thread, 'alert-9')).toBe(503);
      await thread.setKey(KEY);
      expect(await post(thread, 'alert-9')).toBe(200);
      expect(await thread.stats()).toMatchObject({ requests: 2, accepted: 1 });
      expect((await thread.alerts()).get('alert-9')).toMatchObject({ ruleId: 'rule-a', deliveries: 1 });
    } finally {
      await thread.close();
    }
    await expect(thread.stats()).rejects.toThrow(/exited/);
  });
});
