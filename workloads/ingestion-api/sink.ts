/**
 * Writes pseudonymized applications to Kafka and knows whether it can: an idempotent `acks=all`
 * producer (@platformatic/kafka through workloads/shared/kafka-client.ts), a start-up loop that keeps
 * trying in the background, fail-fast while Kafka is known to be down, and a probe that notices when it
 * is back. `write` resolves only after Kafka acknowledged every message; otherwise it throws
 * `KafkaUnavailableError` (the caller answers 503).
 */
import type { Logger } from '../../lib/log.ts';
import type { ApplicationEvent } from '../contract/application.ts';
import {
  type BytesMessage,
  type BytesProducer,
  bytesMessage,
  describeKafkaError,
  kafkaFailureKind,
  type TextMessage,
} from '../shared/kafka-client.ts';
import type { IngestionMetrics } from './metrics.ts';

export class KafkaUnavailableError extends Error {
  constructor(
    readonly reason: 'timeout' | 'unavailable' | 'rejected' | 'error' | 'closed',
    cause?: unknown,
  ) {
    super(`Kafka did not acknowledge the write (${reason})`, { cause });
    this.name = 'KafkaUnavailableError';
  }
}

/** Most messages in one produce request. */
const MAX_MESSAGES_PER_SEND = 1_000;
/**
 * Most bytes (keys, values, headers) in one produce request: under the broker's default
 * message.max.bytes (1 MiB per partition's record batch) even if every record lands on one partition.
 * A valid batch post can be several times that (500 applications of multi-byte text, ~2.4 MB): it goes
 * out in several sends, answered after the last; concurrent posts share a send only within this bound.
 */
const MAX_BYTES_PER_SEND = 512 * 1024;

const bytesOf = (m: BytesMessage): number => {
  let n = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  if (m.headers instanceof Map) for (const [k, v] of m.headers) n += k.length + v.length;
  return n;
};

/** Messages cut into sends of at most MAX_MESSAGES_PER_SEND and MAX_BYTES_PER_SEND (one at least). */
function sends(messages: readonly BytesMessage[], sizes: readonly number[]): BytesMessage[][] {
  const out: BytesMessage[][] = [];
  let current: BytesMessage[] = [];
  let bytes = 0;
  messages.forEach((m, i) => {
    const size = sizes[i] ?? 0;
    if (
      current.length > 0 &&
      (current.length >= MAX_MESSAGES_PER_SEND || bytes + size > MAX_BYTES_PER_SEND)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  });
  if (current.length > 0) out.push(current);
  return out;
}

interface QueuedWrite {
  messages: BytesMessage[];
  sizes: number[];
  bytes: number;
  resolve: () => void;
  reject: (err: KafkaUnavailableError) => void;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

export interface SinkOptions {
  topic: string;
  produceTimeoutMs: number;
  /** How often to check whether Kafka is back while it is down. */
  probeIntervalMs?: number;
}

/** The Kafka message of an application: keyed by customer, the schema version in a header. */
export function toMessage(event: ApplicationEvent): TextMessage {
  return {
    key: event.applicant.customerId,
    value: JSON.stringify(event),
    headers: {
      'content-type': 'application/json',
      'schema-version': event.schemaVersion,
      'application-id': event.applicationId,
    },
  };
}

export class ApplicationSink {
  private connected = false;
  private healthy = false;
  private closing = false;
  private lastProblem = 'connecting to Kafka';
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly queue: QueuedWrite[] = [];
  private sending: Promise<void> | undefined;

  /**
   * `producer`: an idempotent producer from `createProducer` with a small retry budget (a send that
   * cannot land fails within a few retries, so callers learn it and the probe takes over).
   */
  constructor(
    private readonly producer: BytesProducer,
    private readonly opts: SinkOptions,
    private readonly log: Logger,
    private readonly metrics: IngestionMetrics,
  ) {}

  /** Starts connecting in the background; resolves at once (readiness tells when it is connected). */
  start(): void {
    void this.connectLoop();
  }

  /** Resolves when connected (tests and start-up scripts that want to wait). */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.readiness() !== null) {
      if (Date.now() > deadline)
        throw new Error(`Kafka not ready after ${timeoutMs} ms: ${this.lastProblem}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** null when ready; otherwise why not (for /readyz). */
  readiness(): string | null {
    if (this.closing) return 'shutting down';
    if (!this.connected) return `producer not connected: ${this.lastProblem}`;
    if (!this.healthy) return `Kafka unavailable: ${this.lastProblem}`;
    return null;
  }

  /**
   * Writes all events; resolves only after Kafka acknowledged them (acks=all).
   *
   * An idempotent producer keeps one produce request in flight per broker connection (so sequence
   * numbers stay in order across retries; @platformatic/kafka, like kafkajs, enforces it), so one
   * message per send would cap throughput at one message per round trip. Writes arriving while a send
   * is in flight therefore wait in a queue and go out together in the next send (like the Java client's
   * linger, without adding delay when idle); each caller still learns the fate of its own events. One
   * send at a time also means a failed send (after which the client starts a new producer id) never
   * races a later one.
   */
  write(events: readonly ApplicationEvent[]): Promise<void> {
    if (this.closing) return Promise.reject(new KafkaUnavailableError('closed'));
    if (!this.connected || !this.healthy) return Promise.reject(new KafkaUnavailableError('unavailable'));
    return new Promise<void>((resolve, reject) => {
      const messages = events.map((e) => bytesMessage(this.opts.topic, toMessage(e)));
      const sizes = messages.map(bytesOf);
      const entry: QueuedWrite = {
        messages,
        sizes,
        bytes: sizes.reduce((a, b) => a + b, 0),
        resolve,
        reject,
        settled: false,
      };
      entry.timer = setTimeout(() => {
        // The send may still complete later; the caller was told 503, and a re-post is safe.
        this.settle(entry, new KafkaUnavailableError('timeout'));
      }, this.opts.produceTimeoutMs);
      this.queue.push(entry);
      if (this.sending === undefined) this.sending = this.drain();
    });
  }

  private settle(entry: QueuedWrite, failure?: KafkaUnavailableError, cause?: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (failure === undefined) {
      this.markHealthy();
      entry.resolve();
      return;
    }
    this.metrics.produceErrors.inc({ reason: failure.reason });
    // A refusal of these records (too large for the topic, say) says nothing about Kafka's health:
    // other writes go on, and the pod stays in its Service (drain logs it).
    if (failure.reason !== 'rejected') this.markUnhealthy(failure.reason, cause ?? failure);
    entry.reject(failure);
  }

  /**
   * Sends queued writes until the queue is empty: as many whole writes as fit in one request go out
   * together; a write larger than one request goes alone, in several sends, and is answered after the
   * last (a failure part-way answers 503: the records already written are harmless on a re-post, as
   * every consumer keys on the application id).
   */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group: QueuedWrite[] = [];
        let count = 0;
        let bytes = 0;
        while (this.queue.length > 0) {
          const next = this.queue[0] as QueuedWrite;
          if (
            group.length > 0 &&
            (count + next.messages.length > MAX_MESSAGES_PER_SEND || bytes + next.bytes > MAX_BYTES_PER_SEND)
          )
            break;
          this.queue.shift();
          if (next.settled) continue; // timed out while queued: not sent, the caller already has its 503
          group.push(next);
          count += next.messages.length;
          bytes += next.bytes;
        }
        if (group.length === 0) continue;
        try {
          const only = group.length === 1 ? (group[0] as QueuedWrite) : undefined;
          const batches =
            only !== undefined ? sends(only.messages, only.sizes) : [group.flatMap((e) => e.messages)]; // within both bounds by construction
          for (const messages of batches) await this.producer.send({ messages });
          for (const entry of group) this.settle(entry);
        } catch (err) {
          const failure = new KafkaUnavailableError(kafkaFailureKind(err), err);
          if (failure.reason === 'rejected')
            this.log.warn(
              { err: describeKafkaError(err), writes: group.length },
              'Kafka refused the records',
            );
          for (const entry of group) this.settle(entry, failure, err);
          // Fail what is still queued too (Kafka just failed, and callers should not wait for a
          // timeout), unless the broker refused these records only: the others may well land.
          if (failure.reason !== 'rejected')
            for (const entry of this.queue.splice(0))
              this.settle(entry, new KafkaUnavailableError('unavailable'), err);
        }
      }
    } finally {
      this.sending = undefined;
    }
  }

  /** Stops taking writes, waits for the writes in flight (bounded), then disconnects. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.sending !== undefined) {
      this.log.info({ queued: this.queue.length }, 'waiting for in-flight Kafka writes');
      await Promise.race([this.sending, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    await this.producer.close(true).catch(() => {});
    this.connected = false;
    this.metrics.kafkaConnected.set(0);
  }

  /**
   * Kafka is usable for this sink when the topic's metadata names a leader for every partition and
   * the broker gave the producer its id (so the first post does not pay for either).
   */
  private async check(retries: number): Promise<void> {
    const meta = await this.producer.metadata({ topics: [this.opts.topic], forceUpdate: true, retries });
    const partitions = meta.topics.get(this.opts.topic)?.partitions ?? [];
    if (partitions.length === 0 || partitions.some((p) => p === undefined || p.leader < 0))
      throw new Error(`topic "${this.opts.topic}" has partitions without a leader`);
    if (this.producer.producerId === undefined) await this.producer.initIdempotentProducer({});
  }

  private async connectLoop(): Promise<void> {
    let delay = 250;
    while (!this.closing && !this.connected) {
      try {
        await this.check(0);
        this.connected = true;
        this.markHealthy();
        this.log.info({ topic: this.opts.topic }, 'producer connected');
      } catch (err) {
        this.lastProblem = describeKafkaError(err);
        this.log.warn({ err: this.lastProblem, retryInMs: delay }, 'cannot connect to Kafka yet');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private markHealthy(): void {
    if (!this.healthy) this.log.info('Kafka available');
    this.healthy = true;
    this.metrics.kafkaConnected.set(1);
  }

  private markUnhealthy(reason: string, err: unknown): void {
    this.lastProblem = `${reason}: ${describeKafkaError(err)}`;
    this.metrics.kafkaConnected.set(0);
    if (!this.healthy) return;
    this.healthy = false;
    this.log.warn(
      { reason, err: describeKafkaError(err) },
      'Kafka unavailable; answering 503 until it is back',
    );
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closing || this.probeTimer) return;
    this.probeTimer = setTimeout(async () => {
      this.probeTimer = undefined;
      if (this.closing || this.healthy) return;
      try {
        await this.check(0);
        this.markHealthy();
      } catch (err) {
        this.lastProblem = `probe: ${describeKafkaError(err)}`;
        this.scheduleProbe();
      }
    }, this.opts.probeIntervalMs ?? 1_000);
  }
}
