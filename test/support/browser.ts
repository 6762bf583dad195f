// test/support/browser.ts — Debian's chromium driven by playwright-core for the dashboard's browser tests, with
// screenshots saved under test-output/screenshots/ and every JavaScript dialog recorded (an XSS would open one).
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './platform.ts';

export const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const CHROMIUM = process.env.PAAS_CHROMIUM || '/usr/bin/chromium';

/** Launches chromium headless, as .ci/run installs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface TrackedPage { page: Page; alerts: string[]; confirms: string[]; errors: string[] }

/**
 * A new page whose confirm() dialogs (hx-confirm) are accepted and recorded, and whose alert() and prompt() dialogs
 * (nothing in the dashboard opens one: an injected script would) are recorded and dismissed.
 */
export async function trackedPage(browser: Browser): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 } });
  const page = await context.newPage();
  const t: TrackedPage = { page, alerts: [], confirms: [], errors: [] };
  page.on('dialog', (d) => {
    if (d.type() === 'confirm') { t.confirms.push(d.message()); void d.accept(); } else { t.alerts.push(`${d.type()}: ${d.message()}`); void d.dismiss(); }
  });
  page.on('pageerror', (e) => t.errors.push(e.message));
  return t;
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
