/**
 * A consumer-group member over @platformatic/kafka that hands a stream stage per-partition batches:
 * the records of one fetch for one partition, in offset order. It replaces kafkajs's
 * `consumer.run({ eachBatch })` for the platform's stages (the detector's source and window stages,
 * the decision service, ...).
 *
 *   const consumer = createBatchConsumer(kafkaConnection(config, 'decision-service'), {
 *     groupId, topics: [applications, verdicts],
 *     onAssigned: (a) => { rebuild state of a.partitions from a.committed },   // every group join
 *     eachBatch: async (batch) => { ...; if (batch.isStale()) return; ... },
 *   });
 *   await consumer.start();
 *   await consumer.commit([{ topic, partition, offset, metadata }]);   // after the writes landed
 *   await consumer.stop();
 *
 * What it guarantees:
 * - Batches of one partition are handled one after the other, in offset order; partitions run
 *   concurrently (`partitionsConcurrently`).
 * - The next fetch does not wait for processing: a partition is fetched again while fewer than
 *   `maxBatchesAhead` of its batches wait to be handled (bounded memory, no head-of-line blocking).
 * - Every group join (generation) starts over: the previous generation's running handlers finish
 *   (they should return promptly once `batch.isStale()`; the setup waits up to 30 s), the assignment's
 *   committed offsets (with their metadata) are read, `onAssigned` runs (it may `seek`), and only
 *   then are the partitions fetched. One partition never has two handlers running at once.
 *   Batches fetched before a join or before a `seek` of their partition are dropped (kafkajs's
 *   `isStale`); `batch.isStale()` tells a handler that its batch went stale while it ran.
 * - `commit` sends the caller's offsets (and optional metadata, e.g. a stage's checkpoint) with the
 *   current generation through the low-level OffsetCommit API: a commit of a member that lost its
 *   partitions in a rebalance fails instead of being re-based on a new generation.
 * - A handler that throws has its batch fetched and handed over again, after a pause.
 *
 * @platformatic/kafka 2.12.1's MessagesStream has no seek, flattens batches into single messages and
 * commits without metadata; this adapter therefore runs its own fetch loop on the client's `fetch`
 * (one fetch in flight per broker, on its own connections, so group requests never queue behind a
 * long poll) and keeps the group membership (join, heartbeats, rejoin) to the client.
 */
import {
  type ClusterMetadata,
  type Connection,
  ConnectionPool,
  type Consumer,
  type ExtendedGroupProtocolSubscription,
  type fetchV17,
  type GroupAssignment,
  type GroupPartitionsAssignments,
  kGetApi,
  kGetConnection,
} from '@platformatic/kafka';
import type { Logger } from '../../lib/log.ts';
import type { KafkaConnection } from './kafka.ts';
import { type BytesConsumer, clientOptions, createConsumer } from './kafka-client.ts';

/** One record as a stage reads it. */
export interface StreamMessage {
  offset: bigint;
  /** Milliseconds since the epoch (the record's create time, or the broker's log-append time). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values by name (a name repeated keeps its last value; a null value is left out). */
  headers: Record<string, Buffer>;
  /** Every header as written, in order: repeated names repeated, null values kept. */
  headerEntries: ReadonlyArray<readonly [string, Buffer | null]>;
}

/** The records of one fetch for one partition, in offset order (never empty). */
export interface PartitionBatch {
  topic: string;
  partition: number;
  /** The group generation the batch was fetched in. */
  generation: number;
  messages: readonly StreamMessage[];
  /**
   * The offset this fetch read from: records from it on. Below `firstOffset` when records in between
   * are not there (control records, compaction, retention).
   */
  fetchedOffset: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  /** The partition's high watermark when the batch was fetched (offset of the next record written). */
  highWatermark: bigint;
  /** True once a rebalance, a seek of this partition or `stop` made the batch's records obsolete. */
  isStale(): boolean;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The committed offset (the next record to read), or null when the group has none. */
  offset: bigint | null;
  metadata: string | null;
}

/** What a group join gave this member. */
export interface Assignment {
  generation: number;
  memberId: string;
  partitions: TopicPartitions[];
  /** The committed offset (and metadata) of every assigned partition, read right after the join. */
  committed: CommittedOffset[];
}

export interface CommitOffset {
  topic: string;
  partition: number;
  /** The next record to read. */
  offset: bigint;
  /** Stored beside the offset (e.g. a stage's checkpoint); null, absent or '' stores none. */
  metadata?: string | null;
}

/** Members' subscriptions, as the group leader sees them during a join. */
export interface AssignerMember {
  memberId: string;
  topics: readonly string[];
}

/**
 * A custom partition assigner: `name` is the protocol name every member announces (members with
 * different names cannot form one group), `assign` runs on the leader of each join.
 */
export interface PartitionAssigner {
  name: string;
  assign(
    members: readonly AssignerMember[],
    partitionCounts: ReadonlyMap<string, number>,
  ): Map<string, TopicPartitions[]>;
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: readonly string[];
  eachBatch(batch: PartitionBatch): Promise<void> | void;
  /** Runs on every group join, before any batch of the new generation; may `seek`. */
  onAssigned?(assignment: Assignment): Promise<void> | void;
  /** Where a partition without a committed offset starts (default true: its earliest record). */
  fromBeginning?: boolean;
  assigner?: PartitionAssigner;
  /** Partitions whose batches are handled at the same time (default: all). */
  partitionsConcurrently?: number;
  /** Batches of one partition fetched and waiting to be handled before it is fetched again (default 2). */
  maxBatchesAhead?: number;
  /** Longest a fetch waits at the broker when nothing is new (ms, default 500). */
  maxWaitTime?: number;
  /**
   * Bytes a fetch waits for at the broker, up to maxWaitTime (default 1: answered as soon as anything
   * arrives). More means fewer, larger fetches: fewer wake-ups of this process for a reader that can
   * afford up to maxWaitTime of delay.
   */
  minBytes?: number;
  maxBytesPerPartition?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  /** First pause after a failed fetch or a throwing handler, doubled up to 5 s (ms, default 200). */
  retryMs?: number;
  log?: Logger;
}

export interface BatchConsumer {
  /** Joins the group and starts fetching; resolves after the first join's `onAssigned`. */
  start(): Promise<void>;
  /**
   * Reads `partition` from `offset` on: its batches fetched or waiting so far are dropped (their
   * `isStale()` turns true). Only for a partition of the current assignment.
   */
  seek(topic: string, partition: number, offset: bigint): void;
  /**
   * Commits offsets (and metadata) with the current generation. Rejects when the group is rebalancing
   * or a join is being set up: the work it stands for is read again by the partition's next owner.
   */
  commit(offsets: readonly CommitOffset[]): Promise<void>;
  /** The group's committed offsets and metadata of these partitions. */
  committed(partitions: readonly TopicPartitions[]): Promise<CommittedOffset[]>;
  /** Stops fetching and handing over batches (handlers running now finish); the membership stays. */
  pause(): void;
  resume(): void;
  /** Waits for the handlers running now, leaves the group and closes the connections. */
  stop(): Promise<void>;
  /** Batches fetched and waiting to be handled (one partition, or all), the bounded fetch-ahead. */
  pending(topic?: string, partition?: number): number;
  /** The current generation (0 before the first join and while out of the group). */
  readonly generation: number;
  /** The current assignment (empty before the first join and while a join is being set up). */
  assignment(): TopicPartitions[];
  /** The underlying client (events, lag). */
  readonly client: BytesConsumer;
}

interface PartitionState {
  key: string;
  topic: string;
  partition: number;
  generation: number;
  /** Bumped by a seek: a fetch or batch of an older epoch is stale. */
  epoch: number;
  /** Next offset to fetch; undefined until known. */
  position: bigint | undefined;
  queue: QueuedBatch[];
  inFlight: boolean;
  /** Not before (ms): after a failed handler. */
  retryAt: number;
  failures: number;
  revoked: boolean;
}

interface QueuedBatch {
  state: PartitionState;
  epoch: number;
  batch: PartitionBatch;
}

type FetchResponse = fetchV17.FetchResponse;
type FetchResponsePartition = fetchV17.FetchResponsePartition;

/** Longest a join's setup waits for the previous generation's handlers (they should see isStale()). */
const HANDLERS_WAIT_MS = 30_000;

const IS_CONTROL = 0x20;
const LOG_APPEND_TIME = 0x08;
const OFFSET_OUT_OF_RANGE = 1;
/** OffsetCommit/OffsetFetch errors after which the coordinator is looked up again. */
const COORDINATOR_ERRORS = new Set([14, 15, 16]);

const key = (topic: string, partition: number) => `${topic}:${partition}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Kafka error codes in a ResponseError's `errors` (paths → errors with a `code` number, nested). */
function errorCodes(err: unknown): Set<number> {
  const codes = new Set<number>();
  const visit = (e: unknown, depth: number) => {
    if (depth > 4 || typeof e !== 'object' || e === null) return;
    const rec = e as { apiCode?: unknown; errors?: unknown };
    if (typeof rec.apiCode === 'number') codes.add(rec.apiCode);
    const nested = rec.errors;
    if (Array.isArray(nested)) for (const n of nested) visit(n, depth + 1);
  };
  visit(err, 0);
  return codes;
}

/** Reads the committed offsets of partitions through the OffsetFetch API (which also returns metadata). */
async function fetchCommitted(
  consumer: Consumer,
  groupId: string,
  memberId: string | null,
  partitions: readonly TopicPartitions[],
): Promise<CommittedOffset[]> {
  const wanted = partitions.filter((t) => t.partitions.length > 0);
  if (wanted.length === 0) return [];
  const connection = await coordinatorConnection(
    consumer,
    wanted.map((t) => t.topic),
  );
  type Partition = {
    partitionIndex: number;
    committedOffset: bigint;
    metadata: string | null;
    errorCode: number;
  };
  type Topic = { name: string; partitions: Partition[] };
  const response = await new Promise<{ topics?: Topic[]; groups?: Array<{ topics: Topic[] }> }>(
    (resolve, reject) => {
      consumer[kGetApi]<unknown[], { topics?: Topic[]; groups?: Array<{ topics: Topic[] }> }>(
        'OffsetFetch',
        (error, api) => {
          if (error || api === undefined) {
            reject(error ?? new Error('OffsetFetch API unavailable'));
            return;
          }
          api(
            connection,
            [
              {
                groupId,
                memberId,
                memberEpoch: -1,
                topics: wanted.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
              },
            ],
            false,
            (err: Error | null, res?: { topics?: Topic[]; groups?: Array<{ topics: Topic[] }> }) =>
              err || res === undefined ? reject(err ?? new Error('no OffsetFetch response')) : resolve(res),
          );
        },
      );
    },
  );
  const topics = response.groups?.[0]?.topics ?? response.topics ?? [];
  const out: CommittedOffset[] = [];
  for (const t of topics)
    for (const p of t.partitions)
      out.push({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset >= 0n ? p.committedOffset : null,
        // The broker stores a commit without metadata as an empty string.
        metadata: p.committedOffset >= 0n && p.metadata !== null && p.metadata !== '' ? p.metadata : null,
      });
  return out;
}

async function coordinatorConnection(consumer: Consumer, topics: string[]): Promise<Connection> {
  const node = await consumer.findGroupCoordinator();
  const metadata = await consumer.metadata({ topics });
  const broker = metadata.brokers.get(node);
  if (broker === undefined) throw new Error(`group coordinator ${node} is not in the cluster metadata`);
  return new Promise<Connection>((resolve, reject) =>
    consumer[kGetConnection](broker, (error, connection) =>
      error || connection === undefined
        ? reject(error ?? new Error('no coordinator connection'))
        : resolve(connection),
    ),
  );
}

/** Converts one partition's fetched record batches to messages from `from` on (control records dropped). */
function toMessages(
  p: FetchResponsePartition,
  from: bigint,
): { messages: StreamMessage[]; next: bigint | undefined } {
  const messages: StreamMessage[] = [];
  let next: bigint | undefined;
  for (const batch of p.records ?? []) {
    next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if ((batch.attributes & IS_CONTROL) !== 0) continue;
    const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      // A fetch returns whole record batches: records before the fetch offset were read already.
      if (offset < from) continue;
      const headers: Record<string, Buffer> = {};
      const headerEntries: Array<readonly [string, Buffer | null]> = [];
      for (const [k, v] of r.headers) {
        const name = k === null ? '' : k.toString('utf8');
        headerEntries.push([name, v]);
        if (v !== null) headers[name] = v;
      }
      messages.push({
        offset,
        timestamp: Number(appendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
        key: r.key,
        value: r.value,
        headers,
        headerEntries,
      });
    }
  }
  return { messages, next };
}

/**
 * The protocol name a consumer without a custom assigner announces when it joins its group: the name
 * of kafkajs's round-robin assigner, which the platform used before @platformatic/kafka, so both
 * releases' pods can share a group while a Deployment rolls. The assignment is round robin either way.
 */
export const ROUND_ROBIN_PROTOCOL = 'RoundRobinAssigner';

/** The platformatic assigner signature, from the platform's simpler one. */
function toGroupAssigner(assigner: PartitionAssigner) {
  return (
    _current: string,
    members: Map<string, ExtendedGroupProtocolSubscription>,
    topics: Set<string>,
    metadata: ClusterMetadata,
  ): GroupPartitionsAssignments[] => {
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t, metadata.topics.get(t)?.partitionsCount ?? 0);
    const plan = assigner.assign(
      [...members.values()].map((m) => ({ memberId: m.memberId, topics: m.topics ?? [] })),
      counts,
    );
    return [...members.keys()].map((memberId) => ({
      memberId,
      assignments: new Map<string, GroupAssignment>(
        (plan.get(memberId) ?? []).map((t) => [t.topic, { topic: t.topic, partitions: [...t.partitions] }]),
      ),
    }));
  };
}

export function createBatchConsumer(
  connection: KafkaConnection,
  options: BatchConsumerOptions,
): BatchConsumer {
  const consumerSettings: Parameters<typeof createConsumer>[1] = { groupId: options.groupId };
  if (options.maxWaitTime !== undefined) consumerSettings.maxWaitTime = options.maxWaitTime;
  if (options.maxBytesPerPartition !== undefined)
    consumerSettings.maxBytesPerPartition = options.maxBytesPerPartition;
  if (options.sessionTimeout !== undefined) consumerSettings.sessionTimeout = options.sessionTimeout;
  if (options.heartbeatInterval !== undefined) consumerSettings.heartbeatInterval = options.heartbeatInterval;
  const consumer = createConsumer(connection, consumerSettings);
  const fetchPool = new ConnectionPool(connection.clientId, clientOptions(connection));
  const log = options.log;
  const fromBeginning = options.fromBeginning ?? true;
  const concurrency = options.partitionsConcurrently ?? Number.POSITIVE_INFINITY;
  const maxAhead = Math.max(1, options.maxBatchesAhead ?? 2);
  const maxWaitTime = options.maxWaitTime ?? 500;
  const minBytes = options.minBytes ?? 1;
  const maxBytesPerPartition = options.maxBytesPerPartition ?? 1024 * 1024;
  const retryMs = options.retryMs ?? 200;
  const topics = [...options.topics];

  let states = new Map<string, PartitionState>();
  let generation = 0;
  /** True between a join and the end of its setup (offsets read, onAssigned done). */
  let settingUp = false;
  let paused = false;
  let stopping = false;
  let started = false;
  /** Partitions (topic:partition) whose handler runs now, of any generation: one at a time each. */
  const runningKeys = new Set<string>();
  const busyNodes = new Set<number>();
  let fetchFailures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let firstJoin: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  const idleWaiters: Array<() => void> = [];
  const handlersDone: Array<() => void> = [];

  const current = (st: PartitionState) => !st.revoked && states.get(st.key) === st && !stopping;

  function wake(): void {
    if (!stopping) setImmediate(kick);
  }

  function scheduleRetry(ms: number): void {
    if (retryTimer !== undefined || stopping) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      kick();
    }, ms);
  }

  /** Starts the fetches and handlers that can start now. */
  function kick(): void {
    if (stopping || !started) return;
    dispatch();
    if (paused || settingUp) return;
    const now = Date.now();
    const wanted: PartitionState[] = [];
    for (const st of states.values()) {
      if (st.inFlight || st.position === undefined || st.queue.length >= maxAhead) continue;
      if (st.retryAt > now) {
        scheduleRetry(st.retryAt - now);
        continue;
      }
      wanted.push(st);
    }
    if (wanted.length === 0) return;
    void consumer.metadata({ topics }).then(
      (metadata) => fetchFrom(metadata, wanted),
      (err: unknown) => {
        log?.warn({ err: message(err) }, 'kafka metadata failed; fetching again shortly');
        scheduleRetry(retryMs);
      },
    );
  }

  function fetchFrom(metadata: ClusterMetadata, wanted: PartitionState[]): void {
    const byNode = new Map<number, PartitionState[]>();
    for (const st of wanted) {
      if (!current(st) || st.inFlight || settingUp || paused) continue;
      const leader = metadata.topics.get(st.topic)?.partitions[st.partition]?.leader;
      if (leader === undefined || leader < 0) {
        consumer.clearMetadata();
        scheduleRetry(retryMs);
        continue;
      }
      if (busyNodes.has(leader)) continue;
      const list = byNode.get(leader);
      if (list === undefined) byNode.set(leader, [st]);
      else list.push(st);
    }
    for (const [node, list] of byNode) void fetchNode(metadata, node, list);
  }

  async function fetchNode(metadata: ClusterMetadata, node: number, list: PartitionState[]): Promise<void> {
    busyNodes.add(node);
    const requested = list.map((st) => ({ st, epoch: st.epoch, from: st.position as bigint }));
    for (const r of requested) r.st.inFlight = true;
    const byTopic = new Map<string, Array<{ partition: number; fetchOffset: bigint }>>();
    for (const r of requested) {
      const parts = byTopic.get(r.st.topic);
      const p = { partition: r.st.partition, fetchOffset: r.from };
      if (parts === undefined) byTopic.set(r.st.topic, [p]);
      else parts.push(p);
    }
    const topicIds = new Map<string, string>();
    const request = [...byTopic].map(([topic, parts]) => {
      const id = metadata.topics.get(topic)?.id ?? topic;
      topicIds.set(id, topic);
      return {
        topicId: id,
        partitions: parts.map((p) => ({
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: maxBytesPerPartition,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        })),
      };
    });
    let response: FetchResponse | undefined;
    let failure: unknown;
    try {
      response = await consumer.fetch({
        node,
        topics: request,
        maxWaitTime,
        minBytes,
        connectionPool: fetchPool,
      });
    } catch (err) {
      failure = err;
      response = (err as { response?: FetchResponse }).response;
    } finally {
      busyNodes.delete(node);
      for (const r of requested) r.st.inFlight = false;
    }
    if (stopping) {
      notifyIdle();
      return;
    }
    const byKey = new Map(requested.map((r) => [r.st.key, r]));
    const outOfRange: typeof requested = [];
    if (response !== undefined) {
      for (const t of response.responses) {
        const topic = topicIds.get(t.topicId) ?? t.topicId;
        for (const p of t.partitions) {
          const r = byKey.get(key(topic, p.partitionIndex));
          // Stale: fetched before a seek or a rebalance of this partition.
          if (r === undefined || !current(r.st) || r.epoch !== r.st.epoch) continue;
          if (p.errorCode === OFFSET_OUT_OF_RANGE) {
            // (The response's logStartOffset and highWatermark are -1 here: the ends are asked for.)
            outOfRange.push(r);
            r.st.position = undefined;
            continue;
          }
          if (p.errorCode !== 0 || failure !== undefined) continue;
          const { messages, next } = toMessages(p, r.from);
          if (next !== undefined && next > r.from) r.st.position = next;
          if (messages.length === 0) continue;
          const st = r.st;
          const epoch = r.epoch;
          const first = messages[0] as StreamMessage;
          const last = messages[messages.length - 1] as StreamMessage;
          st.queue.push({
            state: st,
            epoch,
            batch: {
              topic,
              partition: p.partitionIndex,
              generation: st.generation,
              messages,
              fetchedOffset: r.from,
              firstOffset: first.offset,
              lastOffset: last.offset,
              highWatermark: p.highWatermark,
              isStale: () => !current(st) || st.epoch !== epoch,
            },
          });
        }
      }
    }
    if (outOfRange.length > 0) void resetPositions(outOfRange);
    if (failure !== undefined && outOfRange.length === 0) {
      fetchFailures++;
      const wait = Math.min(5_000, retryMs * 2 ** Math.min(fetchFailures - 1, 5));
      log?.warn({ err: message(failure), attempt: fetchFailures }, 'fetch failed; fetching again shortly');
      consumer.clearMetadata();
      scheduleRetry(wait);
      dispatch();
      return;
    }
    fetchFailures = 0;
    kick();
  }

  /**
   * Partitions whose fetch offset is out of range (deleted by retention, or past the end) read on from
   * their earliest record (`fromBeginning`) or their end, unless a seek or a join set them meanwhile.
   * When the ends cannot be read, the old offset is fetched again shortly (and this runs again).
   */
  async function resetPositions(list: ReadonlyArray<{ st: PartitionState; epoch: number; from: bigint }>) {
    const byTopic = new Map<string, number[]>();
    for (const r of list) byTopic.set(r.st.topic, [...(byTopic.get(r.st.topic) ?? []), r.st.partition]);
    let ends: Map<string, bigint> | undefined;
    try {
      ends = await startOffsets([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
    } catch (err) {
      log?.warn({ err: message(err) }, 'reading the ends of out-of-range partitions failed; retrying');
    }
    for (const r of list) {
      if (!current(r.st) || r.st.epoch !== r.epoch || r.st.position !== undefined) continue;
      const to = ends?.get(r.st.key);
      if (to === undefined) {
        r.st.position = r.from;
        r.st.retryAt = Date.now() + retryMs;
        continue;
      }
      r.st.position = to;
      log?.warn(
        { topic: r.st.topic, partition: r.st.partition, from: String(r.from), to: String(to) },
        'fetch offset out of range; reading from the nearest end',
      );
    }
    kick();
  }

  /** Hands waiting batches to handlers: one per partition at a time, up to the concurrency. */
  function dispatch(): void {
    if (paused || settingUp) return;
    for (const st of states.values()) {
      if (runningKeys.size >= concurrency) return;
      if (runningKeys.has(st.key) || st.queue.length === 0 || stopping) continue;
      const next = st.queue.shift() as QueuedBatch;
      if (next.batch.isStale()) continue;
      runningKeys.add(st.key);
      void handle(next);
    }
  }

  async function handle(q: QueuedBatch): Promise<void> {
    const st = q.state;
    try {
      await options.eachBatch(q.batch);
      st.failures = 0;
    } catch (err) {
      st.failures++;
      log?.error(
        { err: message(err), topic: st.topic, partition: st.partition, attempt: st.failures },
        'batch handler failed; the batch is read again shortly',
      );
      if (current(st) && st.epoch === q.epoch) {
        // Read it again: everything fetched after it is dropped with it.
        st.epoch++;
        st.queue = [];
        st.position = q.batch.fetchedOffset;
        st.retryAt = Date.now() + Math.min(5_000, retryMs * 2 ** Math.min(st.failures - 1, 5));
      }
    } finally {
      runningKeys.delete(st.key);
      notifyIdle();
      wake();
    }
  }

  function notifyIdle(): void {
    if (runningKeys.size === 0) for (const w of handlersDone.splice(0)) w();
    if (runningKeys.size > 0 || busyNodes.size > 0) return;
    for (const w of idleWaiters.splice(0)) w();
  }

  async function onJoin(payload: {
    generationId?: number;
    memberId?: string;
    assignments?: GroupAssignment[];
  }) {
    const gen = payload.generationId ?? generation + 1;
    generation = gen;
    settingUp = true;
    for (const st of states.values()) st.revoked = true;
    states = new Map();
    // The previous generation's handlers finish first (their batches are stale now): a stage rebuilds
    // its state in onAssigned without a handler of the old generation still changing it.
    if (runningKeys.size > 0) {
      const waited = await Promise.race([
        new Promise<boolean>((r) => handlersDone.push(() => r(true))),
        sleep(HANDLERS_WAIT_MS).then(() => false),
      ]);
      if (!waited)
        log?.warn(
          { running: [...runningKeys], generation: gen },
          'handlers of the previous generation still run; setting up the new one meanwhile',
        );
    }
    const partitions: TopicPartitions[] = (payload.assignments ?? [])
      .filter((a) => topics.includes(a.topic))
      .map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }));
    for (let attempt = 1; ; attempt++) {
      if (stopping || generation !== gen) return;
      try {
        const committed = await fetchCommitted(consumer, options.groupId, consumer.memberId, partitions);
        if (generation !== gen) return;
        const missing = partitions
          .map((t) => ({
            topic: t.topic,
            partitions: t.partitions.filter(
              (p) => !committed.some((c) => c.topic === t.topic && c.partition === p && c.offset !== null),
            ),
          }))
          .filter((t) => t.partitions.length > 0);
        const ends = missing.length === 0 ? undefined : await startOffsets(missing);
        if (generation !== gen) return;
        const next = new Map<string, PartitionState>();
        for (const t of partitions)
          for (const p of t.partitions) {
            const c = committed.find((x) => x.topic === t.topic && x.partition === p);
            next.set(key(t.topic, p), {
              key: key(t.topic, p),
              topic: t.topic,
              partition: p,
              generation: gen,
              epoch: 0,
              position: c?.offset ?? ends?.get(key(t.topic, p)),
              queue: [],
              inFlight: false,
              retryAt: 0,
              failures: 0,
              revoked: false,
            });
          }
        states = next;
        const full = partitions.flatMap((t) =>
          t.partitions.map(
            (p) =>
              committed.find((c) => c.topic === t.topic && c.partition === p) ?? {
                topic: t.topic,
                partition: p,
                offset: null,
                metadata: null,
              },
          ),
        );
        await options.onAssigned?.({
          generation: gen,
          memberId: consumer.memberId ?? '',
          partitions,
          committed: full,
        });
        if (generation !== gen) return;
        settingUp = false;
        log?.info({ generation: gen, partitions }, 'joined the consumer group');
        firstJoin?.resolve();
        firstJoin = undefined;
        wake();
        return;
      } catch (err) {
        log?.warn(
          { err: message(err), attempt, generation: gen },
          'setting up the assignment failed; retrying',
        );
        await sleep(Math.min(5_000, retryMs * 2 ** Math.min(attempt - 1, 5)));
      }
    }
  }

  async function startOffsets(parts: TopicPartitions[]): Promise<Map<string, bigint>> {
    const offsets = await consumer.listOffsets({
      topics: parts.map((t) => t.topic),
      partitions: Object.fromEntries(parts.map((t) => [t.topic, t.partitions])),
      timestamp: fromBeginning ? -2n : -1n,
    });
    const out = new Map<string, bigint>();
    for (const t of parts) {
      const list = offsets.get(t.topic) ?? [];
      for (const p of t.partitions) {
        const o = list[p];
        if (o !== undefined) out.set(key(t.topic, p), o);
      }
    }
    return out;
  }

  const group: Parameters<BytesConsumer['joinGroup']>[0] = {};
  if (options.sessionTimeout !== undefined) group.sessionTimeout = options.sessionTimeout;
  if (options.rebalanceTimeout !== undefined) group.rebalanceTimeout = options.rebalanceTimeout;
  if (options.heartbeatInterval !== undefined) group.heartbeatInterval = options.heartbeatInterval;
  if (options.assigner !== undefined) {
    group.protocols = [{ name: options.assigner.name, version: 0 }];
    group.partitionAssigner = toGroupAssigner(options.assigner);
  } else {
    // Round robin under the name and subscription version the platform's earlier releases announced
    // (kafkajs's RoundRobinAssigner, version 0): during a rolling upgrade old and new pods are members
    // of one group, and members announcing different protocol names are refused
    // (INCONSISTENT_GROUP_PROTOCOL), which would stall the rollout.
    group.protocols = [{ name: ROUND_ROBIN_PROTOCOL, version: 0 }];
  }

  /**
   * The client emits 'error' when a rejoin after a failed heartbeat failed (all its retries, e.g. the
   * broker away for long): it then stops heartbeating, so this member is out of the group. What it
   * holds goes stale (nothing fetched, handed over or committed) and it joins again until it is back.
   */
  let rejoining = false;
  consumer.on('error', (err: unknown) => {
    log?.warn({ err: message(err) }, 'lost the consumer group membership; joining again');
    // Not a member: a join being set up now stops (it checks the generation), nothing commits.
    generation = 0;
    settingUp = true;
    for (const st of states.values()) st.revoked = true;
    states = new Map();
    if (rejoining || stopping) return;
    rejoining = true;
    void (async () => {
      for (let attempt = 1; !stopping; attempt++) {
        await sleep(Math.min(5_000, retryMs * 2 ** Math.min(attempt - 1, 5)));
        if (stopping) break;
        try {
          await consumer.joinGroup({ ...group });
          break;
        } catch (e) {
          log?.warn({ err: message(e), attempt }, 'joining the consumer group failed; retrying');
        }
      }
      rejoining = false;
    })();
  });

  consumer.on('consumer:group:join', (payload) => {
    void onJoin(payload).catch((err: unknown) =>
      log?.error({ err: message(err) }, 'group join setup failed'),
    );
  });

  async function commitOnce(offsets: readonly CommitOffset[]): Promise<void> {
    const byTopic = new Map<
      string,
      Array<{
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        committedMetadata: string | null;
      }>
    >();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: -1,
        committedMetadata: o.metadata ?? null,
      });
      byTopic.set(o.topic, list);
    }
    const connection = await coordinatorConnection(consumer, [...byTopic.keys()]);
    await new Promise<void>((resolve, reject) => {
      consumer[kGetApi]<unknown[], unknown>('OffsetCommit', (error, api) => {
        if (error || api === undefined) {
          reject(error ?? new Error('OffsetCommit API unavailable'));
          return;
        }
        api(
          connection,
          options.groupId,
          consumer.generationId,
          consumer.memberId ?? '',
          null,
          [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          (err: Error | null) => (err ? reject(err) : resolve()),
        );
      });
    });
  }

  const api: BatchConsumer = {
    get generation() {
      return generation;
    },
    get client() {
      return consumer;
    },
    pending(topic, partition) {
      let n = 0;
      for (const st of states.values())
        if (
          (topic === undefined || st.topic === topic) &&
          (partition === undefined || st.partition === partition)
        )
          n += st.queue.length;
      return n;
    },
    assignment() {
      if (settingUp) return [];
      const byTopic = new Map<string, number[]>();
      for (const st of states.values()) {
        const list = byTopic.get(st.topic) ?? [];
        list.push(st.partition);
        byTopic.set(st.topic, list);
      }
      return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    },
    async start() {
      if (started) throw new Error('batch consumer already started');
      started = true;
      for (const t of topics) consumer.topics.track(t);
      const joined = new Promise<void>((resolve, reject) => {
        firstJoin = { resolve, reject };
      });
      try {
        await consumer.joinGroup(group);
      } catch (err) {
        stopping = true;
        await consumer.close(true).catch(() => undefined);
        await fetchPool.close().catch(() => undefined);
        throw err;
      }
      await joined;
    },
    seek(topic, partition, offset) {
      const st = states.get(key(topic, partition));
      if (st === undefined || st.revoked) return;
      st.epoch++;
      st.queue = [];
      st.position = offset;
      st.retryAt = 0;
      wake();
    },
    async commit(offsets) {
      if (offsets.length === 0) return;
      // Work of the previous generation commits nothing once a join began (its records are read again).
      if (settingUp) throw new Error('a consumer group join is being set up; not committing');
      for (let attempt = 0; ; attempt++) {
        try {
          await commitOnce(offsets);
          return;
        } catch (err) {
          // A moved coordinator: the client's heartbeat finds the new one; tried again a few times.
          const codes = errorCodes(err);
          if (attempt >= 3 || ![...codes].some((c) => COORDINATOR_ERRORS.has(c))) throw err;
          await sleep(retryMs * 2 ** attempt);
        }
      }
    },
    committed(partitions) {
      return fetchCommitted(consumer, options.groupId, consumer.memberId, partitions);
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wake();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearTimeout(retryTimer);
      firstJoin?.reject(new Error('batch consumer stopped'));
      firstJoin = undefined;
      for (const st of states.values()) st.queue = [];
      if (runningKeys.size > 0 || busyNodes.size > 0)
        await Promise.race([new Promise<void>((r) => idleWaiters.push(r)), sleep(maxWaitTime + 10_000)]);
      await consumer
        .close()
        .catch((err: unknown) => log?.warn({ err: message(err) }, 'leaving the group failed'));
      await fetchPool.close().catch(() => undefined);
    },
  };
  return api;
}
