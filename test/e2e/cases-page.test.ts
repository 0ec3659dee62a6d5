/**
 * The analysts' page end to end in headless Chromium (Debian's `chromium`, driven by playwright-core):
 * an analyst signs in with a Kubernetes token, filters the queue, opens a case, sees the evidence and
 * linked applications, is refused a note with script in it, resolves the case, and the verdict reaches
 * the warehouse's labels and the rule's precision. Screenshots go to .state/screenshots/cases-page/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../demo/fraud-ops-screenshot.ts';
import { stateDir } from '../../infra/lib/paths.ts';
import { createLogger } from '../../lib/log.ts';
import { type CasesHandle, startCasesService } from '../../workloads/cases/server.ts';
import { createPool, type Pool } from '../../workloads/warehouse/db.ts';
import {
  type CaseIdentities,
  createAlertsTopic,
  createCaseIdentities,
  detectorAlert,
  kafkaClient,
  loadApplications,
  produce,
  waitFor,
} from '../integration/cases/support.ts';
import { uniqueName } from '../integration/operator/support.ts';
import {
  createTestDatabase,
  kafkaBrokers,
  rng,
  syntheticApplication,
  type TestDatabase,
} from '../integration/warehouse/support.ts';

const SHOTS = join(stateDir, 'screenshots', 'cases-page');
let db: TestDatabase;
let pool: Pool;
let ids: CaseIdentities;
let service: CasesHandle;
let browser: Browser;
let page: Page;

const RULES = [
  { id: 'synthetic-identity-dob', severity: 'critical' as const },
  { id: 'device-shared-customers', severity: 'high' as const },
  { id: 'velocity-national-id', severity: 'high' as const },
  { id: 'known-bad-email', severity: 'medium' as const },
];
const r = rng(1616);
const apps = Array.from({ length: 12 }, () => syntheticApplication(r));

/**
 * Waits until the element's text contains `text`. Locators, not page.waitForFunction: the page's CSP
 * (script-src 'self', no eval) refuses the evaluated predicates, as it should.
 */
async function waitForText(selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: 15_000 });
}

/** Polls the texts of every element matching `selector` until `accept` holds. */
async function waitForTexts(selector: string, accept: (texts: string[]) => boolean): Promise<string[]> {
  let texts: string[] = [];
  await expect
    .poll(
      async () => {
        texts = await page.locator(selector).allTextContents();
        return accept(texts);
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return texts;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function precisionOf(rule: string): Promise<number | null> {
  const q = await pool.query<{ precision: number | null }>(
    'SELECT precision FROM rpt_rule_precision WHERE rule_id = $1',
    [rule],
  );
  return q.rows[0]?.precision ?? null;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase('cases_page');
  pool = createPool(db.url);
  const kafka = kafkaClient('cases-page');
  const topic = await createAlertsTopic(kafka, 'cases_page');
  ids = createCaseIdentities(uniqueName('cases-page'));
  await loadApplications(pool, apps);
  // Each application hits one or two rules; device-rule hits link to another application.
  const alerts = apps.flatMap((a, i) => {
    const rule = RULES[i % RULES.length]!;
    const device = rule.id === 'device-shared-customers';
    const out = [
      detectorAlert(a.applicationId, rule.id, {
        severity: rule.severity,
        evidence: {
          kind: 'distinctCount',
          keyField: device ? 'deviceId' : 'nationalIdHash',
          count: 3,
          threshold: 3,
          windowMs: 3_600_000,
          windowStart: '2026-10-01T10:00:00.000Z',
          windowEnd: '2026-10-01T11:00:00.000Z',
          applicationIds: device
            ? [a.applicationId, apps[(i + 4) % apps.length]!.applicationId]
            : [a.applicationId],
        },
      }),
    ];
    if (i % 3 === 0) out.push(detectorAlert(a.applicationId, 'velocity-national-id'));
    return out;
  });
  await produce(kafka, topic, alerts);
  service = await startCasesService(
    {
      databaseUrl: db.url,
      kafkaBrokers: kafkaBrokers().join(','),
      kafkaTls: false,
      applicationsTopic: 'unused',
      deadLetterTopic: 'unused',
      alertsTopic: topic,
      groupPrefix: uniqueName('page'),
      namespace: ids.namespace,
      kubeconfig: ids.serviceKubeconfig,
      authCacheTtlMs: 30_000,
      openCases: true,
      httpPort: 0,
      httpHost: '127.0.0.1',
      opsPort: 0,
      opsHost: '127.0.0.1',
    },
    { log: createLogger('cases-page-test') },
  );
  await waitFor('12 cases', async () => {
    const n = Number((await pool.query('SELECT count(*) AS n FROM fraud_case')).rows[0]?.n);
    return n === 12 ? true : undefined;
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await pool?.end();
  await db?.drop();
  ids?.cleanup();
});

describe('the analysts’ page in Chromium', () => {
  it('asks for a token, and refuses one without the list verb', async () => {
    await page.goto(service.url);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', ids.tokens.outsider);
    await page.click('#sign-in');
    await page.locator('#message').waitFor({ state: 'visible' });
    expect(await page.textContent('#message')).toContain('403');
    await page.click('#sign-out');
  });

  it('shows the queue sorted by severity, and filters it by severity and rule', async () => {
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', ids.tokens.analyst);
    await page.click('#sign-in');
    await page.locator('#queue-table tbody tr').first().waitFor();
    expect(await page.textContent('#whoami')).toBe(ids.users.analyst);
    expect(await page.textContent('#queue-count')).toBe('1–12 of 12 cases');
    const severities = await page.locator('#queue-table tbody tr td:nth-child(2)').allTextContents();
    expect(severities.slice(0, 3)).toEqual(['critical', 'critical', 'critical']);
    expect(severities.at(-1)).toBe('medium');
    await shot('1-queue');

    await page.selectOption('#f-severity', 'critical');
    await page.click('#f-apply');
    await waitForText('#queue-count', '1–3 of 3 cases');
    expect(await page.locator('#queue-table tbody tr td:nth-child(2)').allTextContents()).toEqual([
      'critical',
      'critical',
      'critical',
    ]);
    await page.selectOption('#f-severity', '');
    await page.selectOption('#f-rule', 'device-shared-customers');
    await page.click('#f-apply');
    await waitForTexts(
      '#queue-table tbody tr td:nth-child(4)',
      (t) => t.length > 0 && t.every((x) => x.includes('device-shared-customers')),
    );
    expect(await page.textContent('#queue-count')).toBe('1–3 of 3 cases');
    const rules = await page.locator('#queue-table tbody tr td:nth-child(4)').allTextContents();
    expect(rules.every((x) => x.includes('device-shared-customers'))).toBe(true);
    await shot('2-queue-filtered-by-rule');
  });

  it('opens a case with its evidence, facts and linked applications', async () => {
    await page.locator('#queue-table tbody tr a').first().click();
    await page.locator('#case').waitFor({ state: 'visible' });
    await page.locator('#alerts tbody tr').first().waitFor();
    const title = await page.textContent('#case-title');
    expect(title).toContain('high');
    const evidence = await page.locator('#alerts tbody tr td:nth-child(4)').allTextContents();
    expect(evidence.join(' ')).toContain('same deviceId');
    expect(await page.textContent('#facts')).toContain('National-ID hash');
    const linked = await page.locator('#linked tbody tr td:nth-child(2)').allTextContents();
    expect(linked).toContain('deviceId');
    await shot('3-case');
  });

  it('refuses a note with script in it, shows why, and stores nothing', async () => {
    const caseId = Number(await page.getAttribute('#case', 'data-case-id'));
    const events = async () =>
      Number(
        (await pool.query('SELECT count(*) AS n FROM fraud_case_event WHERE case_id = $1', [caseId])).rows[0]
          ?.n,
      );
    const before = await events();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.fill('#note-text', '<script>alert("x")</script>');
    await page.click('#act-note');
    await waitForText('#message', '400');
    expect(await page.textContent('#message')).toContain('markup');
    expect(dialogs).toBe(0);
    expect(await events()).toBe(before);
    await page.fill('#note-text', 'Device shared with 2 other customers; calling the applicant.');
    await page.click('#act-note');
    await waitForText('#events', 'calling the applicant');
    expect(await events()).toBe(before + 1);
  });

  it('takes, investigates and resolves the case; the verdict reaches the warehouse and the rule’s precision', async () => {
    const caseId = Number(await page.getAttribute('#case', 'data-case-id'));
    expect(await precisionOf('device-shared-customers')).toBeNull();
    await page.click('#act-take');
    await waitForText('#case-meta', 'assignee system:serviceaccount');
    await page.click('#act-investigate');
    await waitForText('#case-title', 'investigating');
    await page.click('button.verdict[data-status="confirmed_fraud"]');
    await waitForText('#case-title', 'confirmed fraud');
    expect(await page.isHidden('#resolve-buttons')).toBe(true);
    await shot('4-case-resolved');

    const labels = await pool.query<{ rule_id: string; verdict: string }>(
      'SELECT rule_id, verdict FROM fact_alert_outcome WHERE case_id = $1',
      [caseId],
    );
    expect(labels.rows.length).toBeGreaterThan(0);
    expect(labels.rows.every((l) => l.verdict === 'confirmed_fraud')).toBe(true);
    expect(await precisionOf('device-shared-customers')).toBe(1);

    await page.click('#nav-rules');
    await page.locator('#rules-table tbody tr').first().waitFor();
    const row = page.locator('#rules-table tbody tr[data-rule="device-shared-customers"]');
    expect(await row.locator('td:nth-child(9)').textContent()).toBe('100%');
    expect(await row.locator('td:nth-child(5)').textContent()).toBe('1');
    await shot('5-rules-precision');
  });
});
