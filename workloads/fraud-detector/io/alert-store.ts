/**
 * MongoDB `fraud_alerts`: one document per (applicationId, ruleId, ruleVersion), whose `_id` is that
 * key (plus a unique compound index on the three fields), written insert-if-absent: a replay leaves
 * the first write untouched and never doubles an alert.
 *
 * The collection gets a `$jsonSchema` validator and indexes where the server supports them. The
 * harness's Mongo-wire server (FerretDB 1.x) has no validators (NotImplemented): the detector then
 * logs a warning, records the skipped feature (`skipped`, and the fraud_detector_store_feature_skipped
 * metric) and relies on its own typed alert construction instead of crashing.
 */
import { type Collection, type Db, MongoClient, MongoServerError } from 'mongodb';
import { ALERTS_DATABASE, type FraudAlert } from '../../../api/alert.ts';
import type { Logger } from '../../../lib/log.ts';

export interface AlertDocument {
  _id: string;
  applicationId: string;
  customerId: string;
  ruleId: string;
  ruleVersion: number;
  ruleKind: string;
  ruleSetVersion: string;
  severity: string;
  reasonCode: string;
  mode: string;
  eventTime: Date;
  detectedAt: Date;
  evidence: Record<string, unknown>;
}

export const ALERT_JSON_SCHEMA = {
  bsonType: 'object',
  required: [
    '_id',
    'applicationId',
    'ruleId',
    'ruleVersion',
    'severity',
    'reasonCode',
    'mode',
    'eventTime',
    'detectedAt',
    'evidence',
  ],
  properties: {
    _id: { bsonType: 'string' },
    applicationId: { bsonType: 'string', pattern: '^[0-9a-fA-F-]{36}$' },
    customerId: { bsonType: 'string' },
    ruleId: { bsonType: 'string' },
    ruleVersion: { bsonType: ['int', 'long', 'double'], minimum: 1 },
    ruleKind: { enum: ['velocity', 'distinctCount', 'expression', 'list'] },
    ruleSetVersion: { bsonType: 'string' },
    severity: { enum: ['low', 'medium', 'high', 'critical'] },
    reasonCode: { bsonType: 'string' },
    mode: { enum: ['live', 'shadow'] },
    eventTime: { bsonType: 'date' },
    detectedAt: { bsonType: 'date' },
    evidence: { bsonType: 'object' },
  },
} as const;

/** A server error meaning "this server does not implement that" (FerretDB: NotImplemented, 238). */
function notImplemented(err: unknown): boolean {
  return (
    err instanceof MongoServerError &&
    (err.code === 238 || err.codeName === 'NotImplemented' || err.code === 115)
  );
}

export interface AlertStore {
  /** Writes the alerts that are not stored yet; returns how many were new. */
  write(alerts: readonly FraudAlert[]): Promise<{ inserted: number }>;
  /** Features the server lacked at set-up (e.g. `jsonSchemaValidator`). */
  skipped: string[];
  collection: Collection<AlertDocument>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openAlertStore(options: {
  url: string;
  database?: string;
  collection: string;
  log: Logger;
}): Promise<AlertStore> {
  const client = new MongoClient(options.url, { serverSelectionTimeoutMS: 10_000, retryWrites: false });
  await client.connect();
  const db = options.database === undefined ? client.db() : client.db(options.database);
  const dbName =
    db.databaseName === 'test' && options.database === undefined ? ALERTS_DATABASE : db.databaseName;
  const target = dbName === db.databaseName ? db : client.db(dbName);
  const skipped = await ensureCollection(target, options.collection, options.log);
  const collection = target.collection<AlertDocument>(options.collection);
  return {
    skipped,
    collection,
    async write(alerts) {
      if (alerts.length === 0) return { inserted: 0 };
      // insertMany with the alert key as _id: a replayed alert fails only its own insert (E11000) and
      // leaves the first write untouched, like an upsert with $setOnInsert, at a fraction of the cost
      // on FerretDB (an upsert is a find plus an insert there).
      const docs = alerts.map((a) => ({ _id: a.alertId, ...toDocument(a) }));
      try {
        const r = await collection.insertMany(docs, { ordered: false });
        return { inserted: r.insertedCount };
      } catch (err) {
        const writeErrors = (err as { writeErrors?: Array<{ code: number }> | { code: number } }).writeErrors;
        const list = Array.isArray(writeErrors)
          ? writeErrors
          : writeErrors === undefined
            ? []
            : [writeErrors];
        if (list.length > 0 && list.every((e) => e.code === 11000)) {
          return { inserted: docs.length - list.length };
        }
        throw err;
      }
    },
    async ping() {
      await target.command({ ping: 1 });
    },
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}

function toDocument(a: FraudAlert): Omit<AlertDocument, '_id'> {
  return {
    applicationId: a.applicationId,
    customerId: a.customerId,
    ruleId: a.ruleId,
    ruleVersion: a.ruleVersion,
    ruleKind: a.ruleKind,
    ruleSetVersion: a.ruleSetVersion,
    severity: a.severity,
    reasonCode: a.reasonCode,
    mode: a.mode,
    eventTime: new Date(a.eventTime),
    detectedAt: new Date(a.detectedAt),
    evidence: a.evidence,
  };
}

/** Creates the collection with its validator and indexes; returns the features the server lacked. */
async function ensureCollection(db: Db, name: string, log: Logger): Promise<string[]> {
  const skipped: string[] = [];
  const exists = (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
  const validator = { $jsonSchema: ALERT_JSON_SCHEMA };
  try {
    if (exists) await db.command({ collMod: name, validator, validationLevel: 'moderate' });
    else await db.createCollection(name, { validator, validationLevel: 'moderate' });
  } catch (err) {
    if (!notImplemented(err) && !(err instanceof MongoServerError && err.code === 48)) throw err;
    if (notImplemented(err)) {
      skipped.push('jsonSchemaValidator');
      log.warn(
        { collection: name, error: (err as Error).message },
        'the alert store does not support $jsonSchema validators; continuing without one (alerts are validated by construction)',
      );
      if (!exists) {
        try {
          await db.createCollection(name);
        } catch (e) {
          if (!(e instanceof MongoServerError && e.code === 48)) throw e;
        }
      }
    }
  }
  const coll = db.collection(name);
  const indexes: Array<{ key: Record<string, 1 | -1>; name: string; unique?: boolean }> = [
    { key: { applicationId: 1, ruleId: 1, ruleVersion: 1 }, name: 'alert_key', unique: true },
    { key: { applicationId: 1 }, name: 'application' },
    { key: { detectedAt: -1 }, name: 'detected_at' },
    { key: { ruleId: 1, ruleVersion: 1, detectedAt: -1 }, name: 'rule' },
  ];
  for (const ix of indexes) {
    try {
      await coll.createIndex(ix.key, { name: ix.name, ...(ix.unique ? { unique: true } : {}) });
    } catch (err) {
      if (!notImplemented(err)) throw err;
      skipped.push(`index:${ix.name}`);
      log.warn({ collection: name, index: ix.name }, 'the alert store does not support this index; skipped');
    }
  }
  return skipped;
}
