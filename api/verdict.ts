/**
 * The fraud detector's verdict on an application: what it found when it checked it, alerts or none.
 * Published on the verdicts topic (`spec.topics.verdicts`) in parts, because the detector checks an
 * application in more than one place:
 *
 * - one `source` part from the source stage, after the per-application rules (expression, list), naming
 *   the window-rule key paths the application was sent to (`windowKeys`; empty when it is beyond the
 *   event-time horizon or has none of the keys);
 * - one `window` part per key path from the window stage, after the window rules of that key evaluated
 *   the application (the alerts raised on it at that moment: a burst it completed or joined).
 *
 * The verdict is complete when the source part and one window part per `windowKeys` entry are in.
 * Parts are written to the same partition number as the application on the applications topic (the
 * topics have the same partition count), so a consumer of partition p of both topics sees an
 * application and its whole verdict. Parts are at-least-once (a detector crash replays and re-publishes
 * the same content but for `checkedAt`, the time of the check); consumers are idempotent on the
 * application id.
 *
 * **Records.** A stage writes its parts *packed* (lib/packed-records.ts, the repartition topic's
 * format): one record per batch and partition, header `fd-format: packed-v1`, no key, value
 * `{"parts": [VerdictPart, ...]}` (`verdictRecords`). The format before packing, one part per record
 * (value: the part; key: its customerId; header `application-id`), is still read, so topics written
 * before replay. Readers read both through `verdictRecordParts`, the one reader of this contract.
 *
 * Alerts raised on an application later, by a burst that completes after its verdict, are not part of
 * it: they reach the alerts topic as usual (the late-alert path).
 */
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  type HeaderValue,
  isPacked,
  MAX_PACKED_ITEMS,
  type PackedRecord,
  packRecords,
  unpackRecord,
} from '../lib/packed-records.ts';
import { StringEnum } from '../lib/string-enum.ts';
import { MODES, SEVERITIES } from './fraud-rules.ts';

const ApplicationId = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/** An alert as a verdict carries it: enough to decide, no evidence (that stays with the alert). */
export const VerdictAlert = Type.Object(
  {
    alertId: Type.String({ minLength: 1, maxLength: 200 }),
    ruleId: Type.String({ minLength: 1, maxLength: 100 }),
    ruleVersion: Type.Integer({ minimum: 0 }),
    severity: StringEnum(SEVERITIES),
    mode: StringEnum(MODES),
    reasonCode: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: true },
);
export type VerdictAlert = Static<typeof VerdictAlert>;

const common = {
  applicationId: ApplicationId,
  customerId: Type.String({ minLength: 1 }),
  /** When the detector checked it (RFC 3339). */
  checkedAt: Type.String({ minLength: 1 }),
  alerts: Type.Array(VerdictAlert, { maxItems: 1000 }),
};

export const SourceVerdictPart = Type.Object(
  {
    kind: Type.Literal('source'),
    ...common,
    ruleSetVersion: Type.String(),
    /** Window-rule key paths the application was published under; one window part follows per path. */
    windowKeys: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }),
    /** Beyond the event-time horizon: window rules did not run (windowKeys is then empty). */
    beyondHorizon: Type.Boolean(),
  },
  { additionalProperties: true },
);
export type SourceVerdictPart = Static<typeof SourceVerdictPart>;

export const WindowVerdictPart = Type.Object(
  {
    kind: Type.Literal('window'),
    ...common,
    keyPath: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: true },
);
export type WindowVerdictPart = Static<typeof WindowVerdictPart>;

export const VerdictPart = Type.Union([SourceVerdictPart, WindowVerdictPart], {
  $id: 'credit.verdict-part.v1',
  title: 'Fraud verdict part',
});
export type VerdictPart = Static<typeof VerdictPart>;

/** Header of a one-part record (the format before packing) naming its application (the key: its customerId). */
export const VERDICT_APPLICATION_HEADER = 'application-id';

/** The list of parts in a packed verdicts record's value. */
const PACKED_LIST = 'parts';

/** A one-part record: written only for a part whose partition is unknown (placed by its key). */
export interface OnePartRecord {
  key: string;
  value: string;
  headers: { [VERDICT_APPLICATION_HEADER]: string };
}

export type VerdictRecord = PackedRecord | OnePartRecord;

/**
 * The records of a stage's parts: packed, one per partition (at most `maxPerRecord` parts each), in the
 * order given. `partition`: the application's partition on the applications topic; a part without
 * one (an application whose partition its stage could not tell) goes in a one-part record keyed by its
 * customerId, which the default partitioner places like the application.
 */
export function verdictRecords(
  parts: ReadonlyArray<{ part: VerdictPart; partition: number | undefined }>,
  maxPerRecord = MAX_PACKED_ITEMS,
): VerdictRecord[] {
  const byPartition = new Map<number, VerdictPart[]>();
  const out: VerdictRecord[] = [];
  for (const { part, partition } of parts) {
    if (partition === undefined) {
      out.push({
        key: part.customerId,
        value: JSON.stringify(part),
        headers: { [VERDICT_APPLICATION_HEADER]: part.applicationId },
      });
      continue;
    }
    const list = byPartition.get(partition);
    if (list === undefined) byPartition.set(partition, [part]);
    else list.push(part);
  }
  out.push(...packRecords(byPartition, PACKED_LIST, maxPerRecord));
  return out;
}

const partCheck = TypeCompiler.Compile(VerdictPart);

/**
 * The parts a verdicts record carries, packed or one-part, and how many it carried that are not
 * valid parts (an unreadable record counts as one). The one reader of this contract.
 */
export function verdictRecordParts(record: {
  value: Buffer | string | null;
  headers?: Readonly<Record<string, HeaderValue>>;
}): { parts: VerdictPart[]; invalid: number } {
  if (record.value === null) return { parts: [], invalid: 1 };
  const text = typeof record.value === 'string' ? record.value : record.value.toString('utf8');
  if (isPacked(record.headers)) {
    const items = unpackRecord(text, PACKED_LIST);
    if (items === undefined) return { parts: [], invalid: 1 };
    const parts: VerdictPart[] = [];
    let invalid = 0;
    for (const item of items) {
      if (partCheck.Check(item)) parts.push(item);
      else invalid++;
    }
    return { parts, invalid };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { parts: [], invalid: 1 };
  }
  return partCheck.Check(value) ? { parts: [value], invalid: 0 } : { parts: [], invalid: 1 };
}
