/**
 * The verdicts topic must have the applications topic's partition count (an application's verdict
 * parts go to its own partition number; the decision service joins the two partition by partition).
 * A verdicts topic made elsewhere with another count once stalled the demo's decisions without a word:
 * the detector and the decision service now refuse to start on it, naming both counts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { assertCoPartitioned } from '../../../workloads/shared/kafka-client.ts';
import { deleteTopics } from '../support/kafka.ts';
import { createTopics, detectorConfig, kafkaClient } from './support.ts';

describe('co-partitioned applications and verdicts topics', () => {
  const kafka = kafkaClient('co-partitioning-test');
  const created: string[] = [];

  afterAll(async () => {
    await deleteTopics(kafka, created);
  });

  it('refuses a verdicts topic with fewer partitions than the applications topic, naming both', async () => {
    const six = await createTopics(kafka, 6);
    const three = await createTopics(kafka, 3);
    created.push(...Object.values(six).slice(1), ...Object.values(three).slice(1));
    const mismatched = { ...six, verdicts: three.verdicts };
    await expect(assertCoPartitioned(kafka, [mismatched.applications, mismatched.verdicts])).rejects.toThrow(
      `"${six.applications}" has 6, "${three.verdicts}" has 3`,
    );
    await expect(startFraudDetector(detectorConfig(mismatched))).rejects.toThrow(/same number of partitions/);
    // Matching counts, or a topic not created yet (its creator makes it right), pass.
    await expect(assertCoPartitioned(kafka, [six.applications, six.verdicts])).resolves.toBeUndefined();
    await expect(
      assertCoPartitioned(kafka, [six.applications, `absent_${six.suffix}`]),
    ).resolves.toBeUndefined();
  });
});
