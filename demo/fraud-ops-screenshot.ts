/**
 * Screenshots of the analysts' page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core with executablePath; test/e2e/cases-page.test.ts launches it the same way): sign in with the
 * analyst's token, then the unresolved queue and the rules' precision.
 */
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

export interface PageShots {
  /** The unresolved queue, as an analyst first sees it after signing in. */
  queue: Buffer;
  /** The Rules view: per-rule precision from verdicts. */
  rules: Buffer;
}

export async function screenshotCasesPage(baseUrl: string, token: string): Promise<PageShots> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(baseUrl);
    await page.locator('#login').waitFor({ state: 'visible', timeout: 15_000 });
    await page.fill('#token', token);
    await page.click('#sign-in');
    await page.locator('#queue-table tbody tr').first().waitFor({ timeout: 15_000 });
    const queue = await page.screenshot();
    await page.click('#nav-rules');
    await page.locator('#rules-table tbody tr').first().waitFor({ timeout: 15_000 });
    const rules = await page.screenshot({ fullPage: true });
    return { queue, rules };
  } finally {
    await browser.close();
  }
}
