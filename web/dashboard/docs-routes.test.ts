// web/dashboard/docs-routes.test.ts — the public pages through the dashboard's routes (inject, real PostgreSQL): the
// landing page for visitors and the redirect for users, /setup still first on a fresh install, the docs rendered and
// sanitised, hostile slugs answered by the 404 page, and search with hostile queries echoed escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { issueSetupToken } from '../../core/accounts/invites.ts';
import { Browser, signUp, startWeb, type Harness } from '../../test/support/dashboard.ts';
import { RawClient } from '../../test/support/raw-http.ts';

const HOSTILE = fileURLToPath(new URL('../../test/fixtures/docs-hostile', import.meta.url));

/** The main column of a page (what the route rendered, without the layout's nav). */
const main = (body: string) => /<main[^>]*>([\s\S]*)<\/main>/.exec(body)?.[1] ?? '';

async function visitor(h: Harness, url: string) { return new Browser(h).get(url); }

test('a visitor gets the landing page at /; a signed-in user goes to their apps; /setup still makes the first admin', async (t) => {
  const h = await startWeb(t);
  const token = (await issueSetupToken(h.db))!;
  const landing = await visitor(h, '/');
  assert.equal(landing.status, 200);
  assert.match(landing.headers['content-security-policy'] as string, /script-src 'self'/);
  const body = main(landing.body);
  assert.match(body, /git remote add paas ssh:\/\/git@localhost:2222\/hello\.git/);
  assert.match(body, /git push paas main/);
  assert.match(body, /remote: -----&gt; v1 is live at http:\/\/hello\.localhost:8080\//);
  assert.match(body, /href="\/signin"/);
  assert.match(body, /href="\/docs"/);
  assert.match(body, /no admin yet/, 'a fresh install says where the first admin comes from');
  assert.equal((await visitor(h, `/setup?token=${token}`)).status, 200);
  const admin = await signUp(h, 'admin@example.com');
  const again = await admin.get('/');
  assert.equal(again.status, 303);
  assert.equal(again.location, '/apps');
  assert.doesNotMatch(main((await visitor(h, '/')).body), /no admin yet/);
});

test('/docs lists the pages in order; a page renders with heading ids, the nav and the search box', async (t) => {
  const h = await startWeb(t);
  const index = await visitor(h, '/docs');
  assert.equal(index.status, 200);
  const links = [...main(index.body).matchAll(/<ul class="docs-index">([\s\S]*?)<\/ul>/g)][0]![1]!;
  const slugs = [...links.matchAll(/href="\/docs\/([a-z0-9-]+)"/g)].map((m) => m[1]);
  assert.equal(slugs[0], 'getting-started');
  assert.ok(slugs.indexOf('cli') > slugs.indexOf('stacks'));
  const page = await visitor(h, '/docs/getting-started');
  assert.equal(page.status, 200);
  assert.match(page.body, /<h1 id="getting-started">Getting started<\/h1>/);
  assert.match(page.body, /<h2 id="4-push-over-ssh">/);
  assert.match(page.body, /<form method="get" action="\/docs\/search" role="search"/);
  assert.match(page.body, /<a href="\/docs\/getting-started" aria-current="page">/);
  assert.match(page.body, /<ul class="toc">.*<a href="#4-push-over-ssh">4. Push over SSH<\/a>/s, 'the page lists its sections');
  const cli = await visitor(h, '/docs/cli');
  assert.match(cli.body, /<code>apps:create APP \[--owner EMAIL\]<\/code>/);
  assert.match(cli.body, /<table>/);
});

test('a hostile Markdown page is rendered without scripts, event handlers or javascript: links', async (t) => {
  const h = await startWeb(t, {}, { docsDir: HOSTILE });
  const page = await visitor(h, '/docs/evil');
  assert.equal(page.status, 200);
  const body = main(page.body);
  assert.doesNotMatch(body, /<script|<iframe|<img|\son\w+=|javascript:|style=/i);
  assert.match(body, /<a href="\/docs\/evil">kept link<\/a>/);
  assert.match(body, /<a href="https:\/\/example.com\/">ok<\/a>/);
  assert.match(body, /<h2 id="safe-heading">Safe heading<\/h2>/);
  assert.match(body, /text stays/);
  assert.match(body, /<td><code>code<\/code><\/td>/);
  const nav = await visitor(h, '/docs');
  assert.doesNotMatch(nav.body, /<script>alert/, 'the title is escaped in the page list');
});

test('slugs that are not pages get the 404 page, never a file', async (t) => {
  const h = await startWeb(t);
  const slugs = ['%2e%2e%2fpackage.json', '..%2f..%2fREADME.md', '%2F..%2F..%2Fetc%2Fpasswd', 'getting-started.md',
    'Getting-Started', 'getting-started%00', '%00', '__proto__', 'constructor', 'a'.repeat(5000), 'cli%2f..%2fcli', '.%2e/.%2e/package.json'];
  for (const slug of slugs) {
    const page = await visitor(h, `/docs/${slug}`);
    assert.equal(page.status, 404, slug);
    assert.match(page.body, /<h1[^>]*>Not found|There is no page at/, slug);
    assert.doesNotMatch(page.body, /"dependencies"|root:x:0|# paas/, slug);
  }
  for (const url of ['/docs/x/y', '/docs/%2e%2e/%2e%2e/package.json']) {
    const page = await visitor(h, url);
    assert.equal(page.status, 404, url);
    assert.doesNotMatch(page.body, /"dependencies"/, url);
  }
  // inject() resolves dot segments itself, as browsers do; a raw client sends them as they are.
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const raw = await RawClient.connect((h.app.server.address() as { port: number }).port);
  t.after(() => raw.close());
  for (const target of ['/docs/..', '/docs/%2e%2e', '/docs/%2E%2E', '/docs/../package.json', '/docs/..%5c..%5cpackage.json', '/docs/.']) {
    const [r] = await raw.send(`GET ${target} HTTP/1.1\r\nHost: localhost:5000\r\nAccept: text/html\r\n\r\n`);
    assert.equal(r!.status, 404, target);
    assert.doesNotMatch(r!.body, /"dependencies"/, target);
  }
});

test('search ranks pages by their matches, shows snippets, and echoes any query escaped', async (t) => {
  const h = await startWeb(t);
  const found = await visitor(h, '/docs/search?q=rollback');
  assert.equal(found.status, 200);
  const list = /<ol class="hits">([\s\S]*?)<\/ol>/.exec(found.body)![1]!;
  const hits = [...list.matchAll(/<a href="\/docs\/([a-z0-9-]+)(#[a-z0-9-]+)?">/g)].map((m) => m[1]);
  assert.equal(hits[0], 'config-releases');
  assert.match(found.body, /<mark>[Rr]ollback<\/mark>/);
  const hostile = await visitor(h, `/docs/search?q=${encodeURIComponent('<script>alert(1)</script> "><img src=x onerror=alert(1)>')}`);
  assert.equal(hostile.status, 200);
  assert.doesNotMatch(hostile.body, /<script>alert|<img src=x/);
  assert.match(hostile.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(hostile.body, /value="&lt;script&gt;/, 'the search box keeps the query, escaped');
  const empty = await visitor(h, '/docs/search?q=');
  assert.equal(empty.status, 200);
  assert.match(empty.body, /Type a word or two/);
  assert.equal((await visitor(h, '/docs/search')).status, 200);
  const long = await visitor(h, `/docs/search?q=${'rollback%20'.repeat(1000)}`);
  assert.equal(long.status, 200);
  assert.match(long.body, /cut to 200 characters/);
  const twice = await visitor(h, '/docs/search?q=scale&q=nothing');
  assert.match(/<ol class="hits">([\s\S]*?)<\/ol>/.exec(twice.body)![1]!, /href="\/docs\/scaling-logs/);
  const none = await visitor(h, '/docs/search?q=zzzqqqxxx');
  assert.match(none.body, /Nothing matched every word/);
});
