/**
 * The webhook receiver in a worker thread of the demo process: its own event loop, so the demo's
 * synchronous kubectl calls never stall it (a stalled receiver makes the sender time out after the
 * receiver has processed the alert, and its retry arrives as a duplicate — correct at-least-once
 * behaviour, but the demo's own doing rather than the platform's). Answers the parent's requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ReceiverOptions, startWebhookReceiver } from './fraud-ops-receiver.ts';

export type ReceiverRequest =
  | { id: number; op: 'setKey'; key: string }
  | { id: number; op: 'stats' }
  | { id: number; op: 'alerts' }
  | { id: number; op: 'close' };

const port = parentPort;
if (port === null) throw new Error('fraud-ops-receiver-worker.ts runs as a worker thread');
const receiver = await startWebhookReceiver(workerData as ReceiverOptions);
port.postMessage({ id: 0, url: receiver.url });
port.on('message', async (m: ReceiverRequest) => {
  if (m.op === 'setKey') {
    receiver.setKey(m.key);
    port.postMessage({ id: m.id });
  } else if (m.op === 'stats') port.postMessage({ id: m.id, stats: receiver.stats() });
  else if (m.op === 'alerts') port.postMessage({ id: m.id, alerts: [...receiver.alerts().values()] });
  else {
    await receiver.close();
    port.postMessage({ id: m.id });
    port.close();
  }
});
