/**
 * The producer's retry budget is bounded whatever number is asked for: @platformatic/kafka reads a
 * number ≤ 1 on an idempotent producer as "retry forever", which would hang an HTTP request (or a
 * generator run) while the broker is away; createProducer maps such budgets to bounded ones. A port
 * on loopback with nothing listening stands for a broker that is down.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bytesMessage, createProducer, kafkaFailureKind } from '../../../workloads/shared/kafka-client.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('createProducer retry budget', () => {
  it.each([0, 1, 3])(
    'a send to a broker that is down fails (unavailable) with retries: %i',
    async (retries) => {
      const port = await closedPort();
      const producer = createProducer(
        {
          brokers: [`127.0.0.1:${port}`],
          clientId: 'retry-budget-test',
          retry: { retries: 1, initialRetryTime: 50 },
        },
        { retries },
      );
      try {
        const failure = await producer
          .send({ messages: [bytesMessage('any_topic', { key: 'k', value: 'v' })] })
          .then(
            () => undefined,
            (err: unknown) => err,
          );
        expect(failure).toBeInstanceOf(Error);
        expect(kafkaFailureKind(failure)).toBe('unavailable');
      } finally {
        await producer.close(true).catch(() => {});
      }
    },
    60_000,
  );
});
