import { randomUUID } from 'node:crypto';
import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../infra/lib/state.ts';

describe('harness Mongo-wire server (FerretDB)', () => {
  const info = requireInfra('mongo');
  const client = new MongoClient(info.url);
  const db = client.db(`smoke_${randomUUID().replaceAll('-', '')}`);

  beforeAll(async () => {
    await client.connect();
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('inserts and finds documents', async () => {
    const alerts = db.collection<{ alertId: string; rule: string; score: number }>('alerts');
    await alerts.insertMany([
      { alertId: 'a1', rule: 'velocity', score: 10 },
      { alertId: 'a2', rule: 'velocity', score: 30 },
      { alertId: 'a3', rule: 'geo', score: 20 },
    ]);
    const found = await alerts
      .find({ rule: 'velocity' }, { projection: { _id: 0 } })
      .sort({ score: -1 })
      .toArray();
    expect(found).toEqual([
      { alertId: 'a2', rule: 'velocity', score: 30 },
      { alertId: 'a1', rule: 'velocity', score: 10 },
    ]);
  });

  it('rejects a duplicate key under a unique index with E11000 and keeps the first document', async () => {
    const decisions = db.collection<{ applicationId: string; decision: string }>('decisions');
    await decisions.createIndex({ applicationId: 1 }, { unique: true });
    await decisions.insertOne({ applicationId: 'app-1', decision: 'approve' });
    const duplicate = decisions.insertOne({ applicationId: 'app-1', decision: 'decline' });
    await expect(duplicate).rejects.toBeInstanceOf(MongoServerError);
    await expect(duplicate).rejects.toMatchObject({ code: 11000 });
    expect(await decisions.find({}, { projection: { _id: 0 } }).toArray()).toEqual([
      { applicationId: 'app-1', decision: 'approve' },
    ]);
  });

  it('upserts idempotently on a natural key', async () => {
    const scores = db.collection<{ applicationId: string; score: number }>('scores');
    await scores.createIndex({ applicationId: 1 }, { unique: true });
    for (let i = 0; i < 3; i++) {
      await scores.updateOne({ applicationId: 'app-7' }, { $set: { score: 640 } }, { upsert: true });
    }
    expect(await scores.countDocuments({ applicationId: 'app-7' })).toBe(1);
  });
});
