import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { RuleSetError } from '../../../workloads/fraud-detector/rules/compile.ts';
import {
  asMessages,
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  produce,
  readAlerts,
  traffic,
  waitDrained,
} from './support.ts';

const velocity = {
  id: 'vel',
  version: 1,
  kind: 'velocity',
  key: 'nationalIdHash',
  window: '1h',
  threshold: 3,
  severity: 'high',
  reasonCode: 'VELOCITY',
  mode: 'live',
};
const geo = {
  id: 'geo',
  version: 1,
  kind: 'expression',
  expression: 'exists(ipCountry) and ipCountry != addressCountry',
  severity: 'medium',
  reasonCode: 'GEO_MISMATCH',
  mode: 'live',
};

/** A ConfigMap-like volume: `rules.json` → `..data/rules.json`, `..data` → `..<version>`; updates swap `..data`. */
function configMapDir(): { path: string; publish: (version: string, text: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fd-rules-'));
  const publish = (version: string, text: string) => {
    const versionDir = join(dir, `..${version}`);
    mkdirSync(versionDir);
    writeFileSync(join(versionDir, 'rules.json'), text);
    const tmpLink = join(dir, '..data_tmp');
    symlinkSync(`..${version}`, tmpLink);
    renameSync(tmpLink, join(dir, '..data'));
  };
  return { path: dir, publish };
}

describe('rule hot reload', () => {
  const kafka = kafkaClient();
  let detector: FraudDetector | undefined;
  const cm = configMapDir();
  let database = '';

  afterAll(async () => {
    await detector?.close();
    if (database) await dropDatabase(database);
    rmSync(cm.path, { recursive: true, force: true });
  });

  it('refuses to start on an invalid rules file, naming the problem', async () => {
    const topics = await createTopics(kafka, 1);
    const bad = join(cm.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 'x', rules: [{ ...geo, expression: 'ipCountry !=' }] }));
    await expect(startFraudDetector(detectorConfig(topics, { rulesFile: bad }))).rejects.toThrow(
      RuleSetError,
    );
    await expect(startFraudDetector(detectorConfig(topics, { rulesFile: bad }))).rejects.toThrow(
      /rules\[0\] \(geo\): expression/,
    );
  });

  it('applies a new rule set mid-stream without a restart, and refuses an invalid one keeping the old', async () => {
    const topics = await createTopics(kafka);
    cm.publish('v1', JSON.stringify({ version: 'rules-a', rules: [velocity] }));
    symlinkSync('..data/rules.json', join(cm.path, 'rules.json'));
    const config = detectorConfig(topics, { rulesFile: join(cm.path, 'rules.json') });
    database = config.mongoDatabase as string;
    detector = await startFraudDetector(config);
    const { items, events } = traffic(5, 2400);
    const geoIn = (from: number, to: number) =>
      items
        .slice(from, to)
        .filter((i) => i.label.scenario === 'geo_mismatch')
        .map((i) => i.label.applicationId);

    await produce(kafka, topics.applications, asMessages(events.slice(0, 800)));
    await waitDrained(kafka, config);
    expect((await readAlerts(database)).filter((a) => a.ruleId === 'geo')).toEqual([]);

    // Version 2 of the ConfigMap adds the geo rule.
    cm.publish('v2', JSON.stringify({ version: 'rules-b', rules: [velocity, geo] }));
    await waitUntil(() => detector?.rules().version === 'rules-b');
    await produce(kafka, topics.applications, asMessages(events.slice(800, 1600)));
    await waitDrained(kafka, config);
    const afterB = new Set(
      (await readAlerts(database)).filter((a) => a.ruleId === 'geo').map((a) => a.applicationId),
    );
    expect(geoIn(800, 1600).length).toBeGreaterThan(0);
    for (const id of geoIn(800, 1600)) expect(afterB.has(id)).toBe(true);
    for (const id of geoIn(0, 800)) expect(afterB.has(id)).toBe(false);

    // Version 3 is invalid: refused, logged, counted; rules-b stays in force.
    cm.publish(
      'v3',
      JSON.stringify({ version: 'rules-c', rules: [velocity, { ...geo, expression: 'ipCountry != (' }] }),
    );
    const metrics = async () => (await fetch(`http://127.0.0.1:${detector?.opsPort}/metrics`)).text();
    await waitUntil(async () =>
      /fraud_detector_rule_reloads_total\{result="rejected"\} 1/.test(await metrics()),
    );
    expect(detector.rules().version).toBe('rules-b');
    expect(await metrics()).toMatch(/fraud_detector_ruleset_info\{version="rules-b"\} 1/);
    await produce(kafka, topics.applications, asMessages(events.slice(1600)));
    await waitDrained(kafka, config);
    const afterC = new Set(
      (await readAlerts(database)).filter((a) => a.ruleId === 'geo').map((a) => a.applicationId),
    );
    for (const id of geoIn(1600, 2400)) expect(afterC.has(id)).toBe(true);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
