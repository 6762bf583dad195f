// test/e2e/dashboard-browser.test.ts — the dashboard in a real browser (Debian's chromium) against a started platform:
// the landing page and the docs' search, the set-up link, an SSH key added in the page then used by the real git over SSH, the build log streaming live while the
// push runs, config vars making releases, rollback, and a removed key failing at once. Screenshots go to
// test-output/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { fixtureRepo, git, run, sshEnv, sshRemote, startPlatform, tempDir, type Platform } from '../support/platform.ts';
import { livePush, pushOutput, stopPlatform } from '../support/push.ts';
import { launchChromium, screenshot, trackedPage, type TrackedPage } from '../support/browser.ts';
import { keygen, sshKeygenFingerprint } from '../support/keys.ts';

let p: Platform;
let dir: string;
let browser: Browser;
let t: TrackedPage;
let page: Page;
let base: string;
let keyPath: string;

/** One of the app page's tabs. */
const tab = (name: string) => page.locator('nav.tabs').getByRole('link', { name, exact: true });

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  base = `http://127.0.0.1:${p.httpPort}`;
  browser = await launchChromium();
  t = await trackedPage(browser);
  page = t.page;
});

after(async () => {
  await browser?.close();
  await stopPlatform(p, dir);
});

test('the set-up link printed at start makes the first admin and lands on the admin page', async () => {
  const token = /\/setup\?token=([\w-]+) /.exec(p.output())?.[1];
  assert.ok(token, `no set-up link in:\n${p.output()}`);
  await page.goto(base + '/');
  await page.getByRole('heading', { name: 'Deploy an app with git push' }).waitFor();
  await page.getByText('This platform has no admin yet.').waitFor();
  await screenshot(page, 'landing');
  await page.locator('.cta').getByRole('link', { name: 'Read the docs' }).click();
  await page.waitForURL('**/docs');
  await page.getByLabel('Search the docs').fill('rollback');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL('**/docs/search?q=rollback');
  await page.locator('.hits mark').first().waitFor();
  await screenshot(page, 'docs-search');
  await page.locator('.hits a').first().click();
  await page.getByRole('heading', { name: 'Config, releases and rollback', level: 1 }).waitFor();
  await screenshot(page, 'docs-page');
  await page.locator('.topnav').getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL('**/signin');
  await screenshot(page, 'signin');
  await page.goto(`${base}/setup?token=${token}`);
  await page.getByRole('heading', { name: 'Set up this platform' }).waitFor();
  await page.getByLabel('Email').fill('admin@example.com');
  await page.getByLabel(/^Password/).fill('correct-horse-battery');
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await page.waitForURL('**/admin');
  await page.getByText("You are this platform's admin.").waitFor();
  await page.locator('.topnav').getByRole('link', { name: 'Apps' }).click();
  await page.getByText('No apps yet.').waitFor();
  await screenshot(page, 'apps-empty');
});

test('an SSH key pasted in the page is listed with its SHA256 fingerprint and comment', async () => {
  keyPath = keygen(dir, 'dashboard_ed25519', 'ed25519', undefined, 'laptop <b>key</b>');
  const { fingerprint } = sshKeygenFingerprint(`${keyPath}.pub`);
  await page.locator('.topnav').getByRole('link', { name: 'Account' }).click();
  await page.getByText('You have no SSH keys yet.').waitFor();
  await page.getByLabel(/^Public key/).fill(fs.readFileSync(`${keyPath}.pub`, 'utf8'));
  await page.getByRole('button', { name: 'Add key' }).click();
  await page.getByText(`Added ssh-ed25519 key ${fingerprint}`).waitFor();
  const row = page.locator('#keys tbody tr').first();
  assert.equal(await row.locator('.fp').innerText(), fingerprint);
  assert.equal(await row.locator('.comment').innerText(), 'laptop <b>key</b>'); // the comment's markup is text
  assert.equal(await page.locator('#keys b').count(), 0);
  await screenshot(page, 'keys');
});

test('an app created in the page shows its git remotes; pushing with that key streams the build log live', async () => {
  await page.locator('.topnav').getByRole('link', { name: 'Apps' }).click();
  await page.getByLabel('App name').fill('live');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.waitForURL('**/apps/live');
  assert.equal(await page.locator('#remote-ssh').innerText(), `ssh://git@127.0.0.1:${p.sshPort}/live.git`);
  assert.match(await page.locator('#remote-hint').innerText(), /^git remote add paas ssh:\/\/git@127\.0\.0\.1:\d+\/live\.git && git push paas main$/);
  await tab('Activity').click();
  await page.locator('.app-head[ws-connect$="activity=1"]').evaluate((el) => new Promise<void>((resolve) => {
    if ((el as HTMLElement & { 'htmx-internal-data'?: { webSocket?: unknown } })['htmx-internal-data']?.webSocket) resolve();
    el.addEventListener('htmx:wsOpen', () => resolve(), { once: true });
  }));

  const repo = await fixtureRepo('node-slow-build', dir);
  const push = livePush(repo, sshEnv(keyPath), 'push', sshRemote(p, 'live'), 'main');
  let pushExited = false;
  void push.done.then(() => { pushExited = true; });

  await page.getByRole('link', { name: 'Build 1' }).click(); // appears in the activity live, while the push runs
  await page.locator('#build-log').waitFor();
  const firstRender = await page.locator('#build-log').innerText();
  assert.ok(!firstRender.includes('step two'), `the page opened after the build had finished:\n${firstRender}`);
  await page.evaluate(() => { (window as unknown as { marker: string }).marker = 'same page'; });

  await page.locator('#build-log').getByText('step one').waitFor();
  assert.equal(pushExited, false, 'step one must show in the page while git push still runs');
  await page.locator('#build-log').getByText('step two').waitFor();
  await page.locator('#build-status.badge-succeeded').waitFor();
  await page.locator('#release-status .badge-succeeded').waitFor({ timeout: 30_000 });
  await page.locator('#live-note').getByText('Finished.').waitFor();
  await page.locator('#app-status.badge-running').waitFor(); // the header's badge flips too
  assert.equal(await page.locator('#app-version').innerText(), '· v1 is live');
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page', 'the page must not reload');
  const log = await page.locator('#build-log').innerText();
  assert.match(log, /-----> Building live \(build 1\) from main/);
  assert.match(log, /-----> v1 is live at http:\/\/live\.localhost:\d+\//);
  await screenshot(page, 'build');

  const pushed = await push.done;
  assert.equal(pushed.code, 0, pushOutput(pushed));
});

test('the overview shows the live release, its process types and the remotes', async () => {
  await tab('Overview').click();
  await page.getByRole('heading', { name: 'Current release' }).waitFor();
  await page.locator('#app-status.badge-running').waitFor();
  await page.locator('.card', { hasText: 'Current release' }).getByText(/^Deploy [0-9a-f]{7}$/).waitFor();
  assert.equal(await page.locator('.big').innerText(), 'v1');
  await page.locator('table code', { hasText: 'web' }).waitFor();
  await screenshot(page, 'app-overview');
});

test('setting a config var makes a new release that shows in the activity; values stay hidden until revealed', async () => {
  await tab('Config').click();
  await page.getByText('No config vars yet.').waitFor();
  await page.getByLabel('Key').fill('GREETING');
  await page.getByLabel('Value').fill('<img src=x onerror=alert(5)>');
  await page.getByRole('button', { name: 'Set' }).click();
  await page.getByText('Set GREETING: release v2 is deploying.').waitFor();
  const cell = page.locator('#cfg-GREETING-value');
  assert.ok(!(await cell.innerText()).includes('onerror'), 'the value must be hidden until revealed');
  await cell.getByRole('link', { name: 'Reveal' }).click();
  await cell.locator('code').waitFor();
  assert.equal(await cell.locator('code').innerText(), '<img src=x onerror=alert(5)>');
  assert.equal(await page.locator('#config-vars img').count(), 0);
  await screenshot(page, 'config');
  await tab('Activity').click();
  const item = page.locator('#activity li', { hasText: 'v2 Set GREETING' });
  await item.locator('.badge-succeeded').waitFor({ timeout: 30_000 }); // flips live when the deploy finishes
});

test('rolling back to v1 (after a confirmation) makes v3 and deploys it', async () => {
  await page.locator('#activity li', { hasText: 'v1 Deploy' }).getByRole('link', { name: 'Roll back to v1' }).click();
  assert.match(t.confirms.at(-1) ?? '', /Roll back live to v1\?/);
  await page.getByText('Rollback to v1: v3 is deploying.').waitFor();
  await page.locator('#activity li', { hasText: 'v3 Rollback to v1' }).locator('.badge-succeeded').waitFor({ timeout: 30_000 });
  await screenshot(page, 'activity');
});

test('a form POST without the CSRF token is refused with E_CSRF', async () => {
  const missing = await page.request.post(base + '/apps', { form: { name: 'csrf-victim' } });
  assert.equal(missing.status(), 403);
  assert.match(await missing.text(), /E_CSRF/);
  const wrong = await page.request.post(base + '/apps', { form: { name: 'csrf-victim', _csrf: 'x'.repeat(43) } });
  assert.equal(wrong.status(), 403);
  await page.goto(base + '/apps');
  assert.equal(await page.getByRole('link', { name: 'csrf-victim' }).count(), 0);
});

test('markup in build and app logs shows as text, with ANSI colours rendered, and no script runs', async () => {
  await page.goto(base + '/apps');
  await page.getByLabel('App name').fill('xss');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.waitForURL('**/apps/xss');
  const repo = await fixtureRepo('node-xss', dir);
  const pushed = await git(repo, sshEnv(keyPath), 'push', sshRemote(p, 'xss'), 'main');
  assert.equal(pushed.code, 0, pushOutput(pushed));
  await page.goto(base + '/apps/xss/builds/1');
  const log = page.locator('#build-log');
  await log.getByText('<script>alert(1)</script>', { exact: true }).waitFor();
  await log.getByText('<img src=x onerror=alert(2)>', { exact: true }).waitFor();
  assert.equal(await log.locator('script, img').count(), 0);
  assert.equal(await log.locator('.ansi-green', { hasText: 'green and' }).count(), 1);
  assert.ok(!(await log.innerText()).includes('\u001b'), 'no raw escape sequences');
  await screenshot(page, 'build-xss');

  await page.goto(base + '/apps/xss/logs');
  await page.locator('#app-log').getByText('<img src=x onerror=alert(4)> listening on', { exact: false }).waitFor();
  await run('curl', ['-s', '-H', 'Host: xss.localhost', `http://127.0.0.1:${p.routerPort}/from-test`]);
  await page.locator('#app-log').getByText('<script>alert(3)</script> requested /from-test', { exact: false }).waitFor(); // arrives live
  assert.equal(await page.locator('#app-log script, #app-log img').count(), 0);
  await screenshot(page, 'logs');
  assert.deepEqual(t.alerts, []);
});

test('admin sees users, apps and stats; a removed key stops working for git at once', async () => {
  await page.goto(base + '/apps');
  await page.locator('#apps .badge-running').first().waitFor();
  await screenshot(page, 'apps');
  await page.goto(base + '/admin');
  assert.equal(await page.locator('#stat-apps').innerText(), '2');
  assert.equal(await page.locator('#stat-builds').innerText(), '2');
  await screenshot(page, 'admin');

  const repo = await fixtureRepo('node', dir);
  const before = await git(repo, sshEnv(keyPath), 'ls-remote', sshRemote(p, 'live'));
  assert.equal(before.code, 0, before.stderr);
  await page.goto(base + '/account/keys');
  await page.locator('#keys').getByRole('link', { name: 'Remove' }).click();
  await page.getByText('It no longer works for git.').waitFor();
  assert.match(t.confirms.at(-1) ?? '', /Remove the key SHA256:/);
  const after = await git(repo, sshEnv(keyPath), 'ls-remote', sshRemote(p, 'live'));
  assert.notEqual(after.code, 0, 'the removed key must be refused');
  assert.deepEqual(t.alerts, []);
  assert.deepEqual(t.errors, []);
});

test('without JavaScript every form still works, and removals go through a confirmation page', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 820 } });
  const plain = await context.newPage();
  try {
    await plain.goto(base + '/signin');
    await plain.getByLabel('Email').fill('admin@example.com');
    await plain.getByLabel('Password').fill('correct-horse-battery');
    await plain.getByRole('button', { name: 'Sign in' }).click();
    await plain.waitForURL('**/apps');
    await plain.getByLabel('App name').fill('plain');
    await plain.getByRole('button', { name: 'Create app' }).click();
    await plain.waitForURL('**/apps/plain');
    await plain.goto(base + '/apps/plain/config');
    await plain.getByLabel('Key').fill('MODE');
    await plain.getByLabel('Value').fill('no-js');
    await plain.getByRole('button', { name: 'Set' }).click();
    await plain.getByText('Set MODE. It applies on the first git push.').waitFor();
    await plain.locator('#cfg-MODE-value').getByRole('link', { name: 'Reveal' }).click();
    assert.equal(await plain.locator('#cfg-MODE-value code').innerText(), 'no-js');
    await plain.locator('#cfg-MODE').getByRole('link', { name: 'Remove' }).click();
    await plain.waitForURL('**/apps/plain/config/MODE/remove');
    await plain.getByText('Remove MODE from plain?').waitFor();
    await screenshot(plain, 'confirm-nojs');
    await plain.getByRole('button', { name: 'Remove MODE' }).click();
    await plain.getByText('No config vars yet.').waitFor();
    await plain.goto(base + '/apps/plain/settings');
    await plain.getByLabel(/Type plain to confirm/).fill('plain');
    await plain.getByRole('button', { name: 'Destroy app' }).click();
    await plain.getByText('Destroyed plain, its releases and its git repository.').waitFor();
  } finally {
    await context.close();
  }
});
