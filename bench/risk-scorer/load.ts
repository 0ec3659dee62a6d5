/**
 * Generated applications loaded into a bench's warehouse through the loader's own writer (the way
 * they arrive in production), for the scorer benches.
 */
import { syntheticApplication } from '../../test/integration/warehouse/support.ts';
import type { Pool } from '../../workloads/warehouse/db.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../workloads/warehouse-loader/rows.ts';
import { writeBatch } from '../../workloads/warehouse-loader/writer.ts';

/** Loads `count` applications drawn from `random`, as messages from offset `base` on, 5,000 per batch. */
export async function loadApplications(
  pool: Pool,
  random: () => number,
  count: number,
  base = 0,
): Promise<void> {
  for (let start = 0; start < count; start += 5000) {
    const apps = Array.from({ length: Math.min(5000, count - start) }, () => syntheticApplication(random));
    await writeBatch(
      pool,
      {
        groupId: 'bench',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: String(base + start),
        messages: apps.map((a, i) => ({
          offset: String(base + start + i),
          key: null,
          value: Buffer.from(JSON.stringify(a)),
        })),
      },
      { applications: parseApplicationMessage, alerts: parseAlertMessage },
    );
  }
}
