/**
 * Topics through @platformatic/kafka's admin (workloads/shared/kafka-client.ts ensureTopic,
 * assertCoPartitioned; lib/kafka-topics.ts createTopicsWithLeaders), the way the platform creates and
 * checks them; read back from the broker's metadata by a separate admin client.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../infra/lib/state.ts';
import { createTopicsWithLeaders } from '../../../lib/kafka-topics.ts';
import { assertCoPartitioned, createAdmin, ensureTopic } from '../../../workloads/shared/kafka-client.ts';

const brokers = requireInfra('kafka').bootstrapServers;
const connection = { brokers: [brokers], clientId: 'platformatic-admin-test' };
const suffix = randomBytes(4).toString('hex');
const name = (what: string) => `plt_admin_${what}_${suffix}`;
const created: string[] = [];

/** The leader of each partition of `topic`, as a fresh client reads the broker's metadata. */
async function leadersSeen(topic: string): Promise<number[]> {
  const admin = createAdmin({ ...connection, clientId: 'platformatic-admin-check' });
  try {
    const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
    const t = meta.topics.get(topic);
    return Array.from({ length: t?.partitionsCount ?? 0 }, (_, i) => t?.partitions[i]?.leader ?? -1);
  } finally {
    await admin.close();
  }
}

afterAll(async () => {
  const admin = createAdmin(connection);
  await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.close();
});

describe('topics through the @platformatic/kafka admin', () => {
  it('ensureTopic creates a missing topic with its leaders, and leaves an existing one as it is', async () => {
    const topic = name('ensure');
    created.push(topic);
    await ensureTopic(connection, topic, { partitions: 4 });
    const leaders = await leadersSeen(topic);
    expect(leaders).toHaveLength(4);
    expect(leaders.every((l) => l >= 0)).toBe(true);
    // Again, asking for another count: the topic exists, so nothing changes (and nothing fails).
    await ensureTopic(connection, topic, { partitions: 2 });
    expect(await leadersSeen(topic)).toHaveLength(4);
    // Two callers at once: both succeed, one topic.
    const raced = name('raced');
    created.push(raced);
    await Promise.all([ensureTopic(connection, raced), ensureTopic(connection, raced)]);
    expect(await leadersSeen(raced)).toHaveLength(3);
  });

  it('createTopicsWithLeaders applies topic configs and returns once every partition has a leader', async () => {
    const topic = name('configs');
    created.push(topic);
    const admin = createAdmin(connection);
    try {
      await createTopicsWithLeaders(admin, [
        {
          topic,
          numPartitions: 2,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '3600000' }],
        },
      ]);
      const [config] = await admin.describeConfigs({
        resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms'] }],
      });
      expect(config?.configs.find((c) => c.name === 'retention.ms')?.value).toBe('3600000');
    } finally {
      await admin.close();
    }
    expect((await leadersSeen(topic)).every((l) => l >= 0)).toBe(true);
  });

  it('createTopicsWithLeaders: callers creating the same topics at once all return once the leaders are there', async () => {
    // Two detector replicas starting together each create the repartition and verdicts topics.
    const topics = [name('race_a'), name('race_b')];
    created.push(...topics);
    const admins = [createAdmin(connection), createAdmin(connection), createAdmin(connection)];
    try {
      await Promise.all(
        admins.map((admin, i) =>
          // A later caller asking for another count gets the topic as its creator made it.
          createTopicsWithLeaders(
            admin,
            topics.map((topic) => ({ topic, numPartitions: i === 0 ? 4 : 6, replicationFactor: 1 })),
          ),
        ),
      );
    } finally {
      await Promise.all(admins.map((a) => a.close()));
    }
    for (const topic of topics) {
      const leaders = await leadersSeen(topic);
      expect([4, 6]).toContain(leaders.length);
      expect(leaders.every((l) => l >= 0)).toBe(true);
    }
  });

  it('assertCoPartitioned refuses different partition counts naming both, and passes matching or absent topics', async () => {
    const six = name('six');
    const sixToo = name('six_too');
    const three = name('three');
    created.push(six, sixToo, three);
    await ensureTopic(connection, six, { partitions: 6 });
    await ensureTopic(connection, sixToo, { partitions: 6 });
    await ensureTopic(connection, three, { partitions: 3 });
    await expect(assertCoPartitioned(connection, [six, three])).rejects.toThrow(
      `"${six}" has 6, "${three}" has 3`,
    );
    await expect(assertCoPartitioned(connection, [six, sixToo])).resolves.toBeUndefined();
    await expect(assertCoPartitioned(connection, [six, name('absent')])).resolves.toBeUndefined();
  });
});
