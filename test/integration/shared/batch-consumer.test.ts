/**
 * The shared batch consumer (workloads/shared/batch-consumer.ts) on the real broker: per-partition
 * batches in offset order with partitions handled concurrently; bounded fetch-ahead; seek drops what
 * was fetched before it; commit metadata round trip (and into the next join); two members split the
 * partitions with a new generation each join and nothing lost; the custom assigner hook; a throwing
 * handler gets its batch again; stop leaves the group. Waits on conditions, counts distinct records.
 */
import { randomUUID } from 'node:crypto';
// Only the rolling-upgrade test: a member of the previous release, which consumed with kafkajs.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Assignment,
  type BatchConsumer,
  type BatchConsumerOptions,
  createBatchConsumer,
  type PartitionBatch,
  type TopicPartitions,
} from '../../../workloads/shared/batch-consumer.ts';
import { createProducer } from '../../../workloads/shared/kafka-client.ts';
import {
  testKafka as connection,
  createTopics as createTestTopics,
  harnessBrokers,
} from '../support/kafka.ts';

async function createTopics(partitions: number, count = 1): Promise<string[]> {
  const names = Array.from({ length: count }, () => `bc_${randomUUID().slice(0, 8)}`);
  await createTestTopics(
    connection('bc-test-admin'),
    names.map((topic) => ({ topic, numPartitions: partitions })),
  );
  return names;
}

/** `sends` sends of `per` records to each partition (each send is its own record batch). */
async function produce(topic: string, partitions: number[], sends: number, per: number, size = 20) {
  const producer = createProducer(connection('bc-test-producer'));
  try {
    for (let s = 0; s < sends; s++)
      await producer.send({
        messages: partitions.flatMap((partition) =>
          Array.from({ length: per }, (_, i) => ({
            topic,
            partition,
            key: Buffer.from(`k${partition}-${s}-${i}`),
            value: Buffer.from(`${partition}:${s}:${i}:`.padEnd(size, 'x')),
            // A repeated name and a null value (distinct Buffer keys are distinct map entries).
            headers: new Map<Buffer, Buffer>([
              [Buffer.from('h'), Buffer.from(`${s}`)],
              [Buffer.from('r'), Buffer.from('1')],
              [Buffer.from('r'), Buffer.from('2')],
              [Buffer.from('n'), null as unknown as Buffer],
            ]),
          })),
        ),
      });
  } finally {
    await producer.close();
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves when released; rejects (failing the handler's test) if never released. */
function gate(timeoutMs = 90_000) {
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('gate never opened')), timeoutMs);
    release = () => {
      clearTimeout(t);
      resolve();
    };
  });
  return { opened, release };
}

const running: BatchConsumer[] = [];
function consumer(groupId: string, topics: string[], over: Partial<BatchConsumerOptions>): BatchConsumer {
  const c = createBatchConsumer(connection(`bc-${groupId}`), {
    groupId,
    topics,
    eachBatch: () => undefined,
    maxWaitTime: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    ...over,
  });
  running.push(c);
  return c;
}

afterAll(async () => {
  await Promise.all(running.map((c) => c.stop().catch(() => undefined)));
});

const sorted = (parts: readonly TopicPartitions[]) =>
  parts.flatMap((t) => t.partitions.map((p) => `${t.topic}:${p}`)).sort();

describe('batch consumer', () => {
  it('hands over per-partition batches in offset order, partitions at once, and round-trips commit metadata', async () => {
    const [topic] = (await createTopics(3)) as [string];
    await produce(topic, [0, 1, 2], 3, 10);
    const group = `bc-order-${randomUUID().slice(0, 8)}`;
    const seen = new Map<number, bigint[]>([
      [0, []],
      [1, []],
      [2, []],
    ]);
    const otherPartition = gate();
    let firstOfZero = true;
    const a = consumer(group, [topic], {
      eachBatch: async (batch) => {
        expect(batch.topic).toBe(topic);
        const offsets = batch.messages.map((m) => m.offset);
        expect(offsets[0]).toBe(batch.firstOffset);
        expect(offsets.at(-1)).toBe(batch.lastOffset);
        for (const m of batch.messages) {
          expect(m.value?.toString().startsWith(`${batch.partition}:`)).toBe(true);
          expect(m.headers.r?.toString()).toBe('2');
          expect('n' in m.headers).toBe(false);
          expect(m.headerEntries.map(([k, v]) => [k, v === null ? null : v.toString()])).toEqual([
            ['h', m.headers.h?.toString()],
            ['r', '1'],
            ['r', '2'],
            ['n', null],
          ]);
          expect(m.timestamp).toBeGreaterThan(0);
        }
        (seen.get(batch.partition) as bigint[]).push(...offsets);
        if (batch.partition !== 0) otherPartition.release();
        // Partition 0's first batch waits for another partition's: only concurrent handling gets there.
        if (batch.partition === 0 && firstOfZero) {
          firstOfZero = false;
          await otherPartition.opened;
        }
      },
    });
    await a.start();
    expect(sorted(a.assignment())).toEqual([`${topic}:0`, `${topic}:1`, `${topic}:2`]);
    await waitFor('every record', () => [...seen.values()].every((o) => o.length >= 30));
    for (const offsets of seen.values())
      expect(offsets).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i)));

    await a.commit([0, 1, 2].map((p) => ({ topic, partition: p, offset: 30n, metadata: `checkpoint-${p}` })));
    const committed = await a.committed([{ topic, partitions: [0, 1, 2] }]);
    expect(committed.sort((x, y) => x.partition - y.partition)).toEqual(
      [0, 1, 2].map((p) => ({ topic, partition: p, offset: 30n, metadata: `checkpoint-${p}` })),
    );
    // Without metadata: none stored.
    await a.commit([{ topic, partition: 2, offset: 30n }]);
    expect((await a.committed([{ topic, partitions: [2] }]))[0]?.metadata).toBeNull();
    await a.stop();

    // The next member's join sees the committed offsets and metadata, and reads on from them.
    const assigned: Assignment[] = [];
    const after: PartitionBatch[] = [];
    const b = consumer(group, [topic], {
      onAssigned: (x) => {
        assigned.push(x);
      },
      eachBatch: (batch) => {
        after.push(batch);
      },
    });
    await b.start();
    const first = assigned[0] as Assignment;
    expect(first.committed.find((c) => c.partition === 0)).toEqual({
      topic,
      partition: 0,
      offset: 30n,
      metadata: 'checkpoint-0',
    });
    await produce(topic, [1], 1, 1);
    await waitFor('the new record', () => after.length > 0);
    expect(after.map((x) => [x.partition, x.fetchedOffset, x.firstOffset])).toEqual([[1, 30n, 30n]]);
    await b.stop();
  });

  it('fetches ahead boundedly, and a seek drops what was fetched before it', async () => {
    const [topic] = (await createTopics(1)) as [string];
    // 40 record batches of one record each; small fetches return about one batch each.
    await produce(topic, [0], 40, 1, 300);
    const group = `bc-seek-${randomUUID().slice(0, 8)}`;
    const firstGate = gate();
    const batches: PartitionBatch[] = [];
    const c = consumer(group, [topic], {
      maxBytesPerPartition: 100,
      maxBatchesAhead: 2,
      eachBatch: async (batch) => {
        batches.push(batch);
        if (batches.length === 1) await firstGate.opened;
      },
    });
    await c.start();
    await waitFor(
      'the first batch and a full fetch-ahead',
      () => batches.length === 1 && c.pending(topic, 0) === 2,
    );
    // Bounded: while the handler is blocked, no more than maxBatchesAhead wait (observed for a while).
    for (const until = Date.now() + 1_000; Date.now() < until; ) {
      expect(c.pending(topic, 0)).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 20));
    }
    const blocked = batches[0] as PartitionBatch;
    expect(blocked.firstOffset).toBe(0n);
    expect(blocked.isStale()).toBe(false);
    c.seek(topic, 0, 20n);
    expect(blocked.isStale()).toBe(true);
    expect(c.pending(topic, 0)).toBe(0);
    firstGate.release();
    await waitFor('records 20 to 39 after the seek', () => batches.some((b) => b.lastOffset === 39n));
    expect(batches[1]?.fetchedOffset).toBe(20n);
    expect(blocked.fetchedOffset).toBe(0n);
    const afterSeek = batches.slice(1).flatMap((b) => b.messages.map((m) => m.offset));
    expect(afterSeek).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(20 + i)));
    await c.stop();
  });

  it('splits the partitions between two members, a new generation each join, nothing lost', async () => {
    const [topic] = (await createTopics(4)) as [string];
    await produce(topic, [0, 1, 2, 3], 5, 10);
    const group = `bc-rebalance-${randomUUID().slice(0, 8)}`;
    const distinct = new Set<string>();
    const joins: Record<'a' | 'b', Assignment[]> = { a: [], b: [] };
    const violations: string[] = [];
    const member = (name: 'a' | 'b') => {
      const c: BatchConsumer = consumer(group, [topic], {
        onAssigned: (x) => {
          joins[name].push(x);
        },
        eachBatch: async (batch) => {
          const last = joins[name].at(-1) as Assignment;
          // Never a batch of an earlier generation, nor of a partition this member no longer has.
          if (
            batch.generation !== last.generation ||
            !last.partitions[0]?.partitions.includes(batch.partition)
          )
            violations.push(`${name} g${batch.generation} p${batch.partition} (now g${last.generation})`);
          for (const m of batch.messages) distinct.add(`${batch.partition}:${m.offset}`);
          await c.commit([{ topic, partition: batch.partition, offset: batch.lastOffset + 1n }]).catch(() => {
            // A commit racing a rebalance fails: the records are read again by their next owner.
          });
        },
      });
      return c;
    };
    const a = member('a');
    await a.start();
    await waitFor('the first records', () => distinct.size > 0);
    const b = member('b');
    await b.start();
    await waitFor('both members in one generation', () => {
      const ja = joins.a.at(-1);
      const jb = joins.b.at(-1);
      return ja !== undefined && jb !== undefined && ja.generation === jb.generation;
    });
    const ga = joins.a.at(-1) as Assignment;
    const gb = joins.b.at(-1) as Assignment;
    expect(ga.generation).toBeGreaterThan((joins.a[0] as Assignment).generation);
    const pa = sorted(ga.partitions);
    const pb = sorted(gb.partitions);
    expect(pa.length).toBeGreaterThan(0);
    expect(pb.length).toBeGreaterThan(0);
    expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3].map((p) => `${topic}:${p}`));
    await produce(topic, [0, 1, 2, 3], 5, 10);
    await waitFor('all 400 records', () => distinct.size === 400, 90_000);
    // b leaves: a gets everything in the next generation.
    await b.stop();
    await waitFor('a alone again', () => sorted((joins.a.at(-1) as Assignment).partitions).length === 4);
    expect((joins.a.at(-1) as Assignment).generation).toBeGreaterThan(ga.generation);
    expect(violations).toEqual([]);
    await a.stop();
  });

  it('shares one group with a kafkajs member, as pods of the previous release during a rolling upgrade', async () => {
    // The platform's workloads consumed with kafkajs (default RoundRobinAssigner) before this client:
    // while a Deployment rolls, old and new pods are members of one group at the same time.
    const [topic] = (await createTopics(4)) as [string];
    const group = `bc-upgrade-${randomUUID().slice(0, 8)}`;
    const distinct = new Set<string>();
    let oldAssignment: number[] = [];
    const old = new Kafka({
      clientId: 'bc-test-old-release',
      brokers: harnessBrokers(),
      logLevel: logLevel.NOTHING,
    }).consumer({ groupId: group, sessionTimeout: 10_000 });
    old.on(old.events.GROUP_JOIN, (e) => {
      oldAssignment = [...(e.payload.memberAssignment[topic] ?? [])].sort();
    });
    await old.connect();
    await old.subscribe({ topic, fromBeginning: true });
    await old.run({
      eachMessage: async ({ partition, message }) => {
        distinct.add(`${partition}:${message.offset}`);
      },
    });
    await waitFor('the old-release member alone in the group', () => oldAssignment.length === 4);
    const joins: Assignment[] = [];
    const upgraded = consumer(group, [topic], {
      onAssigned: (x) => {
        joins.push(x);
      },
      eachBatch: async (batch) => {
        for (const m of batch.messages) distinct.add(`${batch.partition}:${m.offset}`);
        await upgraded
          .commit([{ topic, partition: batch.partition, offset: batch.lastOffset + 1n }])
          .catch(() => {
            // A commit racing a rebalance fails: the records are read again by their next owner.
          });
      },
    });
    try {
      await upgraded.start();
      // Refused members (INCONSISTENT_GROUP_PROTOCOL) would never get an assignment.
      await waitFor('both releases in one generation', () => {
        const mine = joins.at(-1);
        return (
          mine !== undefined &&
          mine.partitions.length > 0 &&
          oldAssignment.length > 0 &&
          oldAssignment.length < 4
        );
      });
      const mine = sorted((joins.at(-1) as Assignment).partitions);
      const theirs = oldAssignment.map((p) => `${topic}:${p}`);
      expect([...mine, ...theirs].sort()).toEqual([0, 1, 2, 3].map((p) => `${topic}:${p}`));
      await produce(topic, [0, 1, 2, 3], 5, 10);
      await waitFor('all 200 records between the two members', () => distinct.size === 200, 90_000);
      // The old pod goes away: the upgraded member takes every partition.
      await old.disconnect();
      await waitFor(
        'the upgraded member alone',
        () => sorted((joins.at(-1) as Assignment).partitions).length === 4,
      );
    } finally {
      await old.disconnect();
      await upgraded.stop();
    }
  });

  it('assigns with a custom assigner: partition p of both topics to one member', async () => {
    const [t1, t2] = (await createTopics(4, 2)) as [string, string];
    const group = `bc-assigner-${randomUUID().slice(0, 8)}`;
    const assigner = {
      name: 'TestCoPartition',
      assign(members: ReadonlyArray<{ memberId: string }>, counts: ReadonlyMap<string, number>) {
        const ids = members.map((m) => m.memberId).sort();
        const out = new Map<string, TopicPartitions[]>(ids.map((id) => [id, []]));
        for (const [topic, n] of counts)
          for (const id of ids) {
            const partitions = [...Array(n).keys()].filter((p) => ids[p % ids.length] === id);
            out.get(id)?.push({ topic, partitions });
          }
        return out;
      },
    };
    const joins: Assignment[][] = [[], []];
    const [a, b] = [0, 1].map((i) =>
      consumer(group, [t1, t2], {
        assigner,
        onAssigned: (x) => {
          joins[i]?.push(x);
        },
      }),
    ) as [BatchConsumer, BatchConsumer];
    await a.start();
    await b.start();
    await waitFor('both members in one generation', () => {
      const ja = joins[0]?.at(-1);
      const jb = joins[1]?.at(-1);
      return ja !== undefined && jb !== undefined && ja.generation === jb.generation;
    });
    const numbers = (x: Assignment, t: string) =>
      [...(x.partitions.find((p) => p.topic === t)?.partitions ?? [])].sort();
    const ja = joins[0]?.at(-1) as Assignment;
    const jb = joins[1]?.at(-1) as Assignment;
    expect(numbers(ja, t1)).toEqual(numbers(ja, t2));
    expect(numbers(jb, t1)).toEqual(numbers(jb, t2));
    expect([...numbers(ja, t1), ...numbers(jb, t1)].sort()).toEqual([0, 1, 2, 3]);
    expect(numbers(ja, t1)).toHaveLength(2);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('joins again when the client reports its membership lost, and reads on', async () => {
    const [topic] = (await createTopics(2)) as [string];
    await produce(topic, [0, 1], 1, 5);
    const group = `bc-lost-${randomUUID().slice(0, 8)}`;
    const joins: Assignment[] = [];
    const distinct = new Set<string>();
    const c = consumer(group, [topic], {
      retryMs: 50,
      onAssigned: (x) => {
        joins.push(x);
      },
      eachBatch: async (batch) => {
        for (const m of batch.messages) distinct.add(`${batch.partition}:${m.offset}`);
        await c.commit([{ topic, partition: batch.partition, offset: batch.lastOffset + 1n }]).catch(() => {
          // Racing the rejoin: read again from the last commit.
        });
      },
    });
    await c.start();
    await waitFor('the first records', () => distinct.size === 10);
    // What the client emits when a rejoin after a failed heartbeat gave up (it heartbeats no more).
    c.client.emit('error', new Error('simulated: rejoin failed'));
    expect(c.assignment()).toEqual([]);
    expect(c.generation).toBe(0);
    await waitFor('a new generation', () => joins.length >= 2);
    expect((joins[1] as Assignment).generation).toBeGreaterThan((joins[0] as Assignment).generation);
    expect(sorted((joins[1] as Assignment).partitions)).toEqual([`${topic}:0`, `${topic}:1`]);
    await produce(topic, [0, 1], 1, 5);
    await waitFor('the records written after', () => distinct.size === 20);
    await c.stop();
  });

  it('hands a batch whose handler threw over again', async () => {
    const [topic] = (await createTopics(1)) as [string];
    await produce(topic, [0], 1, 5);
    const group = `bc-retry-${randomUUID().slice(0, 8)}`;
    const handled: bigint[][] = [];
    let failed = false;
    const c = consumer(group, [topic], {
      retryMs: 50,
      eachBatch: (batch) => {
        handled.push(batch.messages.map((m) => m.offset));
        if (!failed) {
          failed = true;
          throw new Error('first attempt fails');
        }
      },
    });
    await c.start();
    await waitFor('the batch again', () => handled.length >= 2);
    expect(handled[1]).toEqual(handled[0]);
    expect(handled[0]?.[0]).toBe(0n);
    await c.stop();
  });
});
