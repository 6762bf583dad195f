// test/e2e/product-tour-browser.test.ts — issue 13's "done when", in a real browser (Debian's chromium): a new
// visitor reads the landing page and the docs, signs in with OIDC (a real oidc-provider) on a platform whose admin
// opened sign-ups with the CLI, creates a project and an app in it, connects a repository on a real Git host
// (`git daemon`), and watches the deploy started by the host's signed GitHub push webhook go live, then reaches the
// app by its URL through the router.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FIXTURES, getApp, startPlatform, tempDir, type Platform } from '../support/platform.ts';
import { stopPlatform } from '../support/push.ts';
import { launchChromium, screenshot, trackedPage } from '../support/browser.ts';
import { completeProviderLogin, startOidcProvider, type OidcProvider } from '../support/oidc-provider.ts';
import { signGitHub, startGitHost, type GitHost } from '../support/git-host.ts';
import { waitFor } from '../support/wait.ts';

const ADMIN = 'admin@example.com', VISITOR = 'newcomer@example.com', PASSWORD = 'correct-horse-battery';

/** The static fixture's files, as the visitor's repository at the Git host holds them. */
function fixtureFiles(name: string): Record<string, string> {
  const root = path.join(FIXTURES, name);
  return Object.fromEntries(fs.readdirSync(root).map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));
}

/** The admin, made with the CLI as the README does, opens sign-ups with the CLI too. */
async function openSignups(p: Platform): Promise<void> {
  const made = await p.cli(['users:create', ADMIN], `${PASSWORD}\n`);
  assert.equal(made.code, 0, made.stderr);
  const opened = await p.cli(['signin:signups', 'open']);
  assert.equal(opened.code, 0, opened.stderr);
  assert.match(opened.stdout, /Sign-ups are open/);
}

/** Sends the push event as GitHub documents it: JSON body, HMAC SHA-256 of the raw bytes in X-Hub-Signature-256. */
async function githubPush(url: string, secret: string, repoUrl: string, after: string): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({
    ref: 'refs/heads/main', before: '0'.repeat(40), after, created: true, deleted: false,
    repository: { full_name: 'newcomer/site', clone_url: repoUrl, default_branch: 'main' },
    pusher: { name: 'newcomer', email: VISITOR }, head_commit: { id: after, message: 'static app' },
  });
  const res = await fetch(url, {
    method: 'POST', body,
    headers: {
      'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/tour', 'x-github-event': 'push',
      'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': signGitHub(secret, body),
    },
  });
  return { status: res.status, body: await res.json() };
}

/** The landing page and the docs, as a visitor who is not signed in reads them; the search also without JavaScript. */
async function readLandingAndDocs(browser: Browser, page: Page, base: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Deploy an app with git push', level: 1 }).waitFor();
  const example = await page.locator('pre.terminal').innerText();
  assert.match(example, /\$ git remote add paas ssh:\/\/\S+\n\$ git push paas main\n/);
  assert.match(example, /remote: -----> /, 'the example shows what a push prints');
  await page.locator('.cta').getByRole('link', { name: 'Read the docs' }).click();
  await page.waitForURL(`${base}/docs`);
  await page.getByRole('link', { name: 'Getting started' }).first().click();
  await page.getByRole('heading', { name: 'Getting started', level: 1 }).waitFor();
  await page.getByLabel('Search the docs').fill('webhook');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(`${base}/docs/search?q=webhook`);
  await page.locator('.hits mark').first().waitFor();
  await screenshot(page, 'tour-docs-search');

  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto(`${base}/docs`);
  await plain.getByLabel('Search the docs').fill('rollback');
  await plain.getByRole('button', { name: 'Search' }).click();
  await plain.waitForURL(`${base}/docs/search?q=rollback`);
  assert.ok(await plain.locator('.hits a').count() > 0, 'the search answers without JavaScript');
  await noJs.close();
}

let p: Platform | undefined;
let op: OidcProvider | undefined;
let host: GitHost | undefined;
let browser: Browser | undefined;
const dir = tempDir();

after(async () => {
  await browser?.close();
  await host?.close();
  await op?.close();
  await stopPlatform(p, dir);
});

test('a new visitor reads the landing page and docs, signs in with OIDC, makes a project, connects a repository, and a webhook deploy goes live', async () => {
  op = await startOidcProvider({ accounts: { newcomer: { email: VISITOR, emailVerified: true } } });
  // Open sign-ups need per-app sandboxes: PAAS_ISOLATION=sandbox makes the platform refuse to start, saying why,
  // where bubblewrap cannot run, rather than fall back to single-tenant mode, where nobody new could sign in. The Git
  // host is git daemon on loopback: the operator's switch for private repository hosts is on.
  [p, host, browser] = await Promise.all([startPlatform({ env: { ...op.env('Test ID'), PAAS_ISOLATION: 'sandbox', PAAS_GIT_SOURCES_ALLOW_PRIVATE: 'true' } }), startGitHost(), launchChromium()]);
  const base = `http://127.0.0.1:${p.httpPort}`;
  const rev = await host.createRepo('site', fixtureFiles('static'));
  await openSignups(p);

  const t = await trackedPage(browser);
  const page = t.page;
  await readLandingAndDocs(browser, page, base);

  // Sign in: the top bar's link, the provider's button, its login and consent screens, and back signed in.
  await page.locator('.topnav').getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
  await completeProviderLogin(page, 'newcomer');
  await page.waitForURL(`${base}/apps`);
  await page.getByText(`Signed in with Test ID as ${VISITOR}.`).waitFor();

  // A project, and an app in it.
  await page.locator('.topnav').getByRole('link', { name: 'Projects' }).click();
  await page.getByText('No projects yet.').waitFor();
  await page.getByLabel('Project name').fill('tour');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'Project tour' }).waitFor();
  await page.getByLabel('New app').fill('tour-site');
  await page.getByRole('button', { name: 'Create app in tour' }).click();
  await page.getByText('Created tour-site in project tour.').waitFor();

  // Connect the repository on the Git host; the page gives the webhook's URL and secret.
  assert.equal(await page.locator('#app-project').innerText(), 'tour', "the app's header names its project");
  await page.locator('nav.tabs').getByRole('link', { name: 'Git host', exact: true }).click();
  await page.getByLabel('Repository URL').fill(host.url('site'));
  await page.getByLabel('Branch').fill('main');
  await page.getByRole('button', { name: 'Connect repository' }).click();
  await page.locator('#webhook-url, .alert-error').first().waitFor(); // a refusal fails here, saying why
  assert.equal(await page.locator('.alert-error').count(), 0, await page.locator('.alert-error').allInnerTexts().then((t) => t.join(' ')));
  await page.getByText('Show the webhook secret').click();
  const webhookUrl = await page.locator('#webhook-url').innerText();
  const secret = await page.locator('#webhook-secret').innerText();
  assert.equal(webhookUrl, `${base}/hooks/git/tour-site`, 'the URL as this browser reaches the platform');
  assert.match(secret, /^\S{20,}$/);
  await screenshot(page, 'tour-git-host');

  // The Git host's side: a push event for the commit already on main, signed with the secret.
  const sent = await githubPush(webhookUrl, secret, host.url('site'), rev);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));

  // In the browser: the delivery is listed with its build; the build page shows the output and the release going live.
  // The visitor comes back to the tab once; the deliveries card then follows the delivery by itself.
  await page.reload();
  const row = page.locator('#deliveries tbody tr').first();
  await row.locator('.badge-deployed').waitFor({ timeout: 60_000 });
  await row.getByRole('link', { name: /^Build \d+$/ }).click();
  await page.locator('#build-log').getByText(/-----> /).first().waitFor();
  await page.locator('#build-status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
  await page.locator('#release-status .badge-succeeded').waitFor();
  assert.match(await page.locator('#release-status').innerText(), /^v1 succeeded$/i);
  await page.locator('#build-log').getByText(`v1 is live at http://tour-site.localhost:${p.routerPort}/`).waitFor();
  await screenshot(page, 'tour-build-live');
  await page.locator('nav.tabs').getByRole('link', { name: 'Overview', exact: true }).click();
  await page.locator('p.big', { hasText: /^v1$/ }).waitFor();
  assert.match(await page.locator('#deploys-from').innerText(), /^Deploys from main of git:\/\/127\.0\.0\.1:\d+\/site\.git when the Git host calls its webhook/);
  await screenshot(page, 'tour-overview');

  const served = await waitFor(async () => { const r = await getApp(p!, 'tour-site'); return r.status === 200 ? r : undefined; }, 30_000, 'the app through the router');
  assert.match(served.body, /<h1>Hello from static<\/h1>/);
  assert.deepEqual([t.alerts, t.errors], [[], []]);
});
