// test/e2e/metrics-browser.test.ts — the Metrics tab in a real browser (Debian's chromium). First on the dashboard
// alone with an hour and a day of app_metrics rows written as the sampler writes them (the charts, their refresh by
// htmx, the page without JavaScript); then on a started platform: an app pushed with the real git, sent 200s and 500s
// through the router, shows its traffic and its deploy marker. Screenshots go to test-output/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { Page } from 'playwright-core';
import { issueSetupToken } from '../../core/accounts/invites.ts';
import { LATENCY_BOUNDS } from '../../runtime/router/stats.ts';
import { launchChromium, screenshot, SCREENSHOTS, trackedPage } from '../support/browser.ts';
import { startWeb } from '../support/dashboard.ts';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { insertBuild } from '../support/test-schema.ts';

/** Latency bucket counts for n requests around ms (spread over the bucket holding ms and the one above). */
function latencies(n: number, ms: number): number[] {
  const i = LATENCY_BOUNDS.findIndex((b) => ms <= b);
  return LATENCY_BOUNDS.map((_, j) => (j === i ? Math.round(n * 0.9) : j === i + 1 ? n - Math.round(n * 0.9) : 0));
}

/** `n` buckets of `res` s ending now: a day-shaped wave of traffic, a burst of 5xx, two process types. */
async function insertHistory(db: Knex, appId: number, res: number, n: number): Promise<void> {
  const step = res * 1000, last = Math.floor(Date.now() / step) * step - step;
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(last - (n - 1 - i) * step), phase = i / n;
    const rps = 6 + 4 * Math.sin(phase * Math.PI * 4) + (i % 7) / 3;
    const r2xx = Math.round(rps * res), r5xx = phase > 0.62 && phase < 0.7 ? Math.round(rps * res * 0.3) : Math.round(rps * res * 0.01);
    const total = r2xx + r5xx + Math.round(res * 0.4);
    rows.push({ app_id: appId, type: '', resolution: res, at, r2xx, r4xx: Math.round(res * 0.4), r5xx, latency_counts: latencies(total, 20 + 30 * phase), latency_sum_ms: total * 25 },
      { app_id: appId, type: 'web', resolution: res, at, cpu_seconds: res * (0.15 + rps / 60), memory_bytes: (90 + 20 * phase) * 2 ** 20, instances: 2, restarts: i === Math.floor(n * 0.66) ? 1 : 0 },
      { app_id: appId, type: 'worker', resolution: res, at, cpu_seconds: res * 0.05, memory_bytes: 48 * 2 ** 20, instances: 1 });
  }
  for (let i = 0; i < rows.length; i += 900) await db('app_metrics').insert(rows.slice(i, i + 900));
}

/** Releases v1 (succeeded), v2 (failed) and v3 (succeeded) finished `minutes` ago. */
async function insertDeploys(db: Knex, app: string, appId: number, minutes: number[]): Promise<void> {
  const build = await insertBuild(db, app, { status: 'succeeded' });
  for (const [i, m] of minutes.entries()) {
    await db('releases').insert({
      app_id: appId, version: i + 1, build_id: build, config: '{}', description: 'Deploy c0ffee0',
      status: i === 1 ? 'failed' : 'succeeded', finished_at: new Date(Date.now() - m * 60_000),
    });
  }
}

async function setUpAdmin(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/setup?token=${token}`);
  await page.getByLabel('Email').fill('admin@example.com');
  await page.getByLabel(/^Password/).fill('correct-horse-battery');
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await page.waitForURL('**/admin');
}

test('the Metrics tab draws an hour and a day of samples, refreshes itself, and reads without JavaScript', async (t) => {
  const h = await startWeb(t, {}, { metricsPollSeconds: 2 });
  const base = `http://127.0.0.1:${(await h.app.listen({ port: 0, host: '127.0.0.1' })).split(':').pop()}`;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const tp = await trackedPage(browser);
  const { page } = tp;
  await setUpAdmin(page, base, (await issueSetupToken(h.db))!);
  await page.goto(`${base}/apps`);
  await page.getByLabel('App name').fill('shop');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.waitForURL('**/apps/shop');
  const appId = (await h.db('apps').where({ name: 'shop' }).first('id')).id as number;
  await page.locator('nav.tabs').getByRole('link', { name: 'Metrics', exact: true }).click();
  await page.getByText('No traffic recorded yet.').waitFor();
  await insertHistory(h.db, appId, 10, 330);
  await insertHistory(h.db, appId, 60, 1400);
  await insertDeploys(h.db, 'shop', appId, [48, 21, 9]);
  // No reload: the page's own htmx poll (every 2 s here) brings the charts in.
  await page.locator('#requests svg').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('svg.chart-svg').count(), 6);
  assert.deepEqual(await page.locator('#requests .marker text').allTextContents(), ['v1', 'v2', 'v3']);
  assert.equal(await page.locator('#requests .marker-failed text').textContent(), 'v2');
  assert.match(await page.locator('#requests .chart-summary').innerText(), /^2xx: latest [\d.]+, peak [\d.]+; 4xx: latest 0\.4/);
  assert.equal(await page.getByRole('img', { name: 'Memory' }).count(), 1, 'each chart is an image named by its title');
  await screenshot(page, 'metrics-1h');
  await page.locator('#latency summary').click();
  assert.equal(await page.locator('#latency tbody tr').count(), 30);
  await screenshot(page, 'metrics-1h-table');
  // The next refresh replaces the charts with new ones: the table the reader opened stays open.
  await page.locator('#metrics-charts').evaluate((el) => el.setAttribute('data-old', ''));
  await page.locator('#metrics-charts:not([data-old])').waitFor({ state: 'attached', timeout: 10_000 });
  await page.waitForFunction(() => (document.getElementById('latency-data') as HTMLDetailsElement | null)?.open === true, undefined, { timeout: 2000 });
  // A hidden tab does not poll: over three poll intervals no request for the charts, then one soon after it is shown.
  const polls: number[] = [];
  page.on('request', (r) => { if (r.url().includes('/metrics/charts')) polls.push(Date.now()); });
  // Strings, not functions: tsx would wrap the getter in a naming helper the page does not have.
  const setHidden = (hidden: boolean) => page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, get: function () { return ${hidden}; } })`);
  await setHidden(true);
  await page.evaluate("window.polled = 0; document.addEventListener('htmx:beforeRequest', function () { window.polled++; })");
  await page.waitForFunction(() => (window as unknown as { polled: number }).polled >= 3, undefined, { timeout: 10_000 });
  assert.deepEqual(polls, [], 'three polls were due while hidden, none was sent');
  await setHidden(false);
  await page.waitForResponse((r) => r.url().includes('/metrics/charts'), { timeout: 5000 });
  await page.getByRole('link', { name: 'Last 24 hours' }).click();
  await page.waitForURL('**/metrics?window=24h');
  await page.locator('#cpu svg').waitFor();
  await screenshot(page, 'metrics-24h');
  assert.deepEqual([tp.alerts, tp.errors], [[], []]);

  const started = Date.now() - 6 * 3_600_000;
  for (let n = 2; n <= 24; n++) {
    const id = await insertBuild(h.db, 'shop', { status: n % 7 === 3 ? 'failed' : 'succeeded', number: n });
    const seconds = 35 + ((n * 37) % 50) + (n > 15 ? 40 : 0);
    await h.db('builds').where({ id }).update({ created_at: new Date(started + n * 600_000), finished_at: new Date(started + n * 600_000 + seconds * 1000) });
  }
  await page.locator('nav.tabs').getByRole('link', { name: 'Activity', exact: true }).click();
  await page.getByRole('img', { name: 'Build durations' }).waitFor();
  assert.equal(await page.locator('#build-history rect.bar.tone-bad').count(), 4, 'builds 3, 10, 17 and 24 failed');
  await page.locator('#build-history').screenshot({ path: `${SCREENSHOTS}/activity-build-durations.png` });
  await page.locator('.topnav').getByRole('link', { name: 'Admin' }).click();
  await page.locator('#top-requests').getByRole('link', { name: 'shop' }).waitFor();
  await screenshot(page, 'admin-machine');
  assert.deepEqual([tp.alerts, tp.errors], [[], []]);

  const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 820 } });
  await noJs.addCookies((await page.context().cookies()));
  const still = await noJs.newPage();
  await still.goto(`${base}/apps/shop/metrics`);
  assert.equal(await still.locator('svg.chart-svg').count(), 6, 'the page is complete without JavaScript');
  await noJs.close();
});

test('an app pushed with git and sent traffic through the router shows it and its deploy marker on the Metrics tab', async (t) => {
  const dir = tempDir();
  const p = await startPlatform({ env: { PAAS_METRICS_SAMPLE_MS: '500' } });
  t.after(() => stopPlatform(p, dir));
  const admin = await createUser(p, 'admin@example.com', dir);
  await createApp(p, 'metered', admin.email);
  const push = await git(await fixtureRepo('node-status', dir), admin.sshEnv, 'push', sshRemote(p, 'metered'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const answers = [];
  for (let i = 0; i < 40; i++) answers.push((await getApp(p, 'metered', i % 4 === 3 ? '/status/500' : '/')).status);
  assert.deepEqual([answers.filter((s) => s === 200).length, answers.filter((s) => s === 500).length], [30, 10]);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const { page, alerts, errors } = await trackedPage(browser);
  const base = `http://127.0.0.1:${p.httpPort}`;
  await page.goto(`${base}/signin`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('correct-horse');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/apps');
  await page.goto(`${base}/apps/metered/metrics`);
  // The requests table (a closed <details>) lists the buckets with requests; its rates times 10 s are the counts sent.
  const counted = () => {
    const table = document.querySelector('#requests table') as HTMLTableElement | null;
    const out = { '2xx': 0, '5xx': 0, marker: document.querySelector('#requests .marker text')?.textContent ?? '' };
    if (!table) return out;
    const head = [...table.tHead!.rows[0]!.cells].map((c) => c.textContent!.trim());
    for (const r of [...table.tBodies[0]!.rows]) for (const cls of ['2xx', '5xx'] as const) out[cls] += Number(r.cells[head.indexOf(cls)]?.textContent) * 10 || 0;
    return { ...out, '2xx': Math.round(out['2xx']), '5xx': Math.round(out['5xx']) };
  };
  // The page polls its charts every 10 s: after each poll, look again until the sampler's rows hold all 40 requests
  // and v1's deploy marker.
  const deadline = Date.now() + 90_000;
  for (let seen = await page.evaluate(counted); seen['2xx'] < 30 || seen['5xx'] < 10 || seen.marker !== 'v1'; seen = await page.evaluate(counted)) {
    assert.ok(Date.now() < deadline, `the Metrics tab never showed the traffic: ${JSON.stringify(seen)}`);
    await page.waitForResponse((r) => r.url().includes('/apps/metered/metrics/charts'), { timeout: 20_000 });
    await page.waitForFunction(() => !document.querySelector('#metrics-charts.htmx-settling, #metrics-charts.htmx-swapping'));
  }
  assert.deepEqual(await page.evaluate(counted), { '2xx': 30, '5xx': 10, marker: 'v1' }, 'no request counted twice');
  await page.locator('#memory svg').waitFor();
  await screenshot(page, 'metrics-live');
  assert.deepEqual([alerts, errors], [[], []]);
});
