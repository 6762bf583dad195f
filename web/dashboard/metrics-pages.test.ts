// web/dashboard/metrics-pages.test.ts — the Metrics tab through inject(), with app_metrics rows written as the
// controller's sampler writes them: the charts and their text fallback, access, a bad window, escaping, the empty
// state and the fragment htmx polls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, signUp, type Harness } from '../../test/support/dashboard.ts';
import { startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';
import { LATENCY_BOUNDS } from '../../runtime/router/stats.ts';

/** The start of the 10 s bucket `back` buckets before the current one. */
const bucket = (back: number): Date => new Date((Math.floor(Date.now() / 10_000) - back) * 10_000);
const hhmmss = (d: Date): string => d.toISOString().slice(11, 19);

async function appId(h: Harness, name: string): Promise<number> {
  return (await h.db('apps').where({ name }).first('id')).id;
}

/** One bucket of router traffic: 50 2xx and 10 5xx, all between 10 and 25 ms; and the web processes' usage. */
async function insertSample(h: Harness, app: string, at: Date, type = 'web'): Promise<void> {
  const id = await appId(h, app);
  const counts = LATENCY_BOUNDS.map((b) => (b === 25 ? 60 : 0));
  await h.db('app_metrics').insert([
    { app_id: id, type: '', resolution: 10, at, r2xx: 50, r5xx: 10, latency_counts: counts, latency_sum_ms: 60 * 17, bytes_in: 6000, bytes_out: 60_000 },
    { app_id: id, type, resolution: 10, at, cpu_seconds: 5, memory_bytes: 150 * 1024 * 1024, instances: 2, restarts: 2 },
  ]);
}

test('the Metrics tab draws the charts with the sampled numbers in their text fallback, and the deploy marker', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const at = bucket(2);
  await insertSample(h, 'demo', at);
  const build = await insertBuild(h.db, 'demo', { status: 'succeeded' });
  await h.db('releases').insert({ app_id: await appId(h, 'demo'), version: 3, build_id: build, config: '{}', description: 'Deploy c0ffee0', status: 'succeeded', finished_at: new Date(at.getTime() + 5000) });
  const page = await b.get('/apps/demo/metrics');
  assert.equal(page.status, 200);
  assert.match(page.body, /<a href="\/apps\/demo\/metrics" aria-current="page">Metrics<\/a>/);
  assert.equal(page.body.match(/<svg class="chart-svg"/g)?.length, 6);
  for (const id of ['requests', 'latency', 'errors', 'memory', 'cpu', 'restarts']) assert.match(page.body, new RegExp(`<figure class="chart" id="${id}">`), id);
  const row = (cells: string) => `<th scope="row">${hhmmss(at)}</th>${cells}</tr>`;
  assert.ok(page.body.includes(row('<td>5</td><td>1</td>')), 'requests/s: 50 2xx and 10 5xx over 10 s');
  assert.ok(page.body.includes(row('<td>18 ms</td><td>24 ms</td>')), 'p50 17.5 ms and p95 24.25 ms, inside the 10-25 ms bucket');
  assert.ok(page.body.includes(row('<td>17%</td>')), '10 of 60 requests answered 5xx');
  assert.ok(page.body.includes(row('<td>150 MB</td>')), 'memory');
  assert.ok(page.body.includes(row('<td>0.5</td>')), '5 CPU seconds over 10 s is half a core');
  assert.ok(page.body.includes(row('<td>2</td>')), 'restarts');
  assert.match(page.body, /2xx: latest 5, peak 5; 5xx: latest 1, peak 1/);
  assert.match(page.body, /<g class="marker"><title>v3 succeeded at \d\d:\d\d:\d\d UTC<\/title>.*?>v3<\/text><\/g>/);
  assert.match(page.body, /<strong>v3<\/strong> <span class="badge badge-succeeded">succeeded<\/span>/);
  assert.match(page.body, /<svg class="chart-svg" viewBox="0 0 560 220" role="img" aria-labelledby="chart-requests-t chart-requests-d"/);
  assert.doesNotMatch(page.body, /style=|<script>/, 'nothing the CSP would block');
  const day = await b.get('/apps/demo/metrics?window=24h');
  assert.equal(day.status, 200);
  assert.match(day.body, /id="metrics-empty"/, 'the day reads 60 s rows, and none were written');
  assert.match(day.body, /<a href="\/apps\/demo\/metrics\?window=24h" aria-current="page">Last 24 hours<\/a>/);
  assert.match(day.body, /hx-get="\/apps\/demo\/metrics\/charts\?window=24h" hx-trigger="every 60s"/, 'minute buckets, polled each minute');
});

test('the Metrics tab is refused to a stranger, as every app page is, and a bad window is a 400', async (t) => {
  const h = await startWeb(t);
  const owner = await signUp(h, 'a@example.com');
  const stranger = await signUp(h, 'b@example.com');
  await createAppAs(owner, 'demo');
  await insertSample(h, 'demo', bucket(1));
  for (const url of ['/apps/demo/metrics', '/apps/demo/metrics/charts?window=1h', '/apps/demo/metrics?window=nope']) {
    const r = await stranger.get(url);
    assert.equal(r.status, 404, url);
    assert.match(r.body, /E_APP_NOT_FOUND/, url);
    assert.doesNotMatch(r.body, /chart-svg/, url);
  }
  for (const w of ['7d', '1h%22%3E%3Cscript%3E', '', '1h&window=24h']) {
    const r = await owner.get(`/apps/demo/metrics?window=${w}`);
    assert.equal(r.status, 400, w);
    assert.match(r.body, /E_BAD_REQUEST/);
    assert.match(r.body, /The window must be 1h or 24h/);
    assert.doesNotMatch(r.body, /<script>/);
  }
  assert.equal((await owner.get('/apps/demo/metrics/charts?window=__proto__')).status, 400);
});

test('names and values in the charts are HTML-escaped', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await insertSample(h, 'demo', bucket(1), '<img src=x onerror=alert(1)>&"\'');
  const page = await b.get('/apps/demo/metrics');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /<img src=x/);
  assert.ok(page.body.includes('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;'), 'the process type, escaped');
  assert.ok(page.body.includes('<th scope="col">&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&amp;&quot;&#x27;</th>'), 'in the table, by handlebars');
  assert.ok(page.body.includes('<title id="chart-memory-t">Memory</title><desc id="chart-memory-d">Memory in bytes per process type'), 'the svg');
  assert.ok(page.body.includes('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;: latest 150 MB'), 'in the svg description, by svg-chart');
});

test('an app without samples shows the empty state, and htmx polls the charts fragment every 10 s', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const empty = await b.get('/apps/demo/metrics');
  assert.match(empty.body, /No traffic recorded yet\./);
  assert.doesNotMatch(empty.body, /chart-svg/);
  assert.match(empty.body, /<div id="metrics-charts" hx-get="\/apps\/demo\/metrics\/charts\?window=1h" hx-trigger="every 10s" hx-swap="outerHTML"/);
  await insertSample(h, 'demo', bucket(1));
  const frag = await b.get('/apps/demo/metrics/charts?window=1h', { 'hx-request': 'true', 'hx-target': 'metrics-charts' });
  assert.equal(frag.status, 200);
  assert.match(frag.body, /^<div id="metrics-charts" hx-get="\/apps\/demo\/metrics\/charts\?window=1h" hx-trigger="every 10s"/);
  assert.doesNotMatch(frag.body, /<html|class="tabs"/, 'a fragment, not a page');
  assert.equal(frag.body.match(/<svg class="chart-svg"/g)?.length, 6);
  assert.equal(frag.headers['cache-control'], 'no-store');
});

test('the activity page charts the last builds\' durations, failed ones marked, with a table', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  assert.doesNotMatch((await b.get('/apps/demo/activity')).body, /id="build-history"/, 'no finished build, no chart');
  const start = Date.now() - 3_600_000;
  for (const [n, status, seconds] of [[1, 'succeeded', 42], [2, 'failed', 90], [3, 'succeeded', 61], [4, 'building', 0]] as const) {
    const id = await insertBuild(h.db, 'demo', { status, number: n });
    await h.db('builds').where({ id }).update({ created_at: new Date(start + n * 600_000), finished_at: status === 'building' ? null : new Date(start + n * 600_000 + seconds * 1000) });
  }
  const page = await b.get('/apps/demo/activity');
  assert.equal(page.status, 200);
  assert.match(page.body, /<svg class="chart-svg"[^>]*aria-labelledby="chart-builds-t chart-builds-d"/);
  assert.equal(page.body.match(/<rect class="bar /g)?.length, 3, 'finished builds only');
  assert.match(page.body, /<rect class="bar tone-bad"[^>]*><title>Build 2: failed, 1m 30s<\/title>/);
  assert.match(page.body, /Last 3 finished builds: median 1m 01s, longest 1m 30s \(build 2\); 1 failed\. <span class="muted">From the push to the build&#x27;s end, time waiting in the build queue included\.<\/span>/);
  assert.match(page.body, /<caption class="sr-only">Build durations, newest first\. From the push to the build&#x27;s end, time waiting in the build queue included\.<\/caption>/);
  assert.match(page.body, /<th scope="row"><a href="\/apps\/demo\/builds\/2">Build 2<\/a><\/th><td><span class="badge badge-failed">failed<\/span>\s*<\/td><td>1m 30s<\/td>/);
  assert.ok(page.body.indexOf('Build 3</a></th>') < page.body.indexOf('Build 1</a></th>'), 'the table is newest first');
});

test('the admin page shows the machine\'s load, memory and disk and the busiest apps of the last hour; others get 404', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const bob = await signUp(h, 'bob@example.com');
  for (const name of ['small', 'big', 'idle']) await createAppAs(bob, name);
  await insertSample(h, 'big', bucket(1));
  await insertSample(h, 'big', bucket(2));
  const small = await appId(h, 'small');
  await h.db('app_metrics').insert([
    { app_id: small, type: '', resolution: 10, at: bucket(1), r2xx: 7 },
    { app_id: small, type: 'web', resolution: 10, at: bucket(3), cpu_seconds: 36, memory_bytes: 900 * 2 ** 20 }, // an older bucket: not "now"
    { app_id: small, type: 'web', resolution: 10, at: bucket(1), cpu_seconds: 0, memory_bytes: 10 * 2 ** 20 },
    { app_id: small, type: '', resolution: 10, at: new Date(Date.now() - 2 * 3_600_000), r2xx: 10_000 }, // over an hour ago
  ]);
  // The 60 s rows the sampler's rollup makes of them: the hour's CPU and requests are read from these.
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000), big = await appId(h, 'big');
  await h.db('app_metrics').insert([
    { app_id: big, type: '', resolution: 60, at: minute, r2xx: 100, r5xx: 20 }, { app_id: big, type: 'web', resolution: 60, at: minute, cpu_seconds: 10 },
    { app_id: small, type: '', resolution: 60, at: minute, r2xx: 7 }, { app_id: small, type: 'web', resolution: 60, at: minute, cpu_seconds: 36 },
    { app_id: small, type: '', resolution: 60, at: new Date(Date.now() - 2 * 3_600_000), r2xx: 10_000 }, // over an hour ago
  ]);
  const page = await admin.get('/admin');
  assert.equal(page.status, 200);
  assert.match(page.body, /id="stat-load">\d+\.\d\d \/ \d+\.\d\d \/ \d+\.\d\d<\/span><span class="label">load \(1, 5, 15 min\) on \d+ CPUs?<\/span>/);
  assert.match(page.body, /id="stat-memory">\d+%<\/span><span class="label">memory used: [\d.]+ [KMGT]?B of [\d.]+ [KMGT]?B<\/span>/);
  assert.match(page.body, /id="stat-data-disk">\d+%<\/span><span class="label">disk used: [\d.]+ [KMGT]?B of [\d.]+ [KMGT]?B \([\d.]+ [KMGT]?B free\)/);
  const list = (id: string) => [...(new RegExp(`<ol class="top-list" id="top-${id}">(.*?)</ol>`).exec(page.body)?.[1] ?? '')
    .matchAll(/<a href="\/apps\/([\w-]+)\/metrics">[\w-]+<\/a> <span class="muted">([^<]*)<\/span>/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(list('requests'), ['big 120 (0.033/s)', 'small 7 (0.002/s)']);
  assert.deepEqual(list('cpu'), ['small 0.01 cores', 'big 0.003 cores'], '36 and 10 CPU seconds over the hour');
  assert.deepEqual(list('memory'), ['big 150 MB', 'small 10 MB'], 'each type\'s latest row');
  assert.doesNotMatch(page.body, /idle<\/a> <span class="muted">/, 'an app with nothing recorded is in no list');
  assert.equal((await bob.get('/admin')).status, 404);
});

test('a zero is data: requests without a 5xx read 0 %, an idle CPU reads 0, not "No requests" or a gap', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await appId(h, 'demo');
  const at = bucket(2);
  await h.db('app_metrics').insert([
    { app_id: id, type: '', resolution: 10, at, r2xx: 50, latency_counts: LATENCY_BOUNDS.map((x) => (x === 25 ? 50 : 0)) },
    { app_id: id, type: 'web', resolution: 10, at, cpu_seconds: 0, memory_bytes: 1024 * 1024, instances: 1, restarts: 0 },
  ]);
  const page = await b.get('/apps/demo/metrics');
  assert.equal(page.status, 200);
  const figure = (fid: string) => page.body.match(new RegExp(`<figure class="chart" id="${fid}">[\\s\\S]*?</figure>`))![0];
  assert.match(figure('errors'), /5xx: latest 0%, peak 0%/);
  assert.doesNotMatch(figure('errors'), /No requests in this window/);
  assert.ok(figure('errors').includes(`<th scope="row">${hhmmss(at)}</th><td>0%</td>`));
  assert.match(figure('requests'), /2xx: latest 5, peak 5; 5xx: latest 0, peak 0/);
  assert.match(figure('cpu'), /web: latest 0, peak 0/);
  assert.ok(figure('cpu').includes(`<th scope="row">${hhmmss(at)}</th><td>0</td>`), 'idle CPU is a 0 in the table');
});

test('200 process types render: the top 6 by peak keep their line, the rest sum into "other"; the SVG stays small', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await appId(h, 'demo');
  const rows = [];
  for (let k = 0; k < 200; k++) {
    const type = `t${String(k).padStart(3, '0')}`;
    for (let back = 1; back <= 360; back += 1) rows.push({ app_id: id, type, resolution: 10, at: bucket(back), cpu_seconds: k === 150 ? 50 : 1, memory_bytes: (k + 1) * 1024 * 1024, instances: 1 });
  }
  for (let i = 0; i < rows.length; i += 5000) await h.db('app_metrics').insert(rows.slice(i, i + 5000));
  const page = await b.get('/apps/demo/metrics');
  assert.equal(page.status, 200);
  const figure = (fid: string) => page.body.match(new RegExp(`<figure class="chart" id="${fid}">[\\s\\S]*?</figure>`))![0];
  const legend = (fid: string) => [...figure(fid).match(/<ul class="legend"[\s\S]*?<\/ul>/)![0].matchAll(/<\/span>([^<]*)<\/li>/g)].map((x) => x[1]);
  assert.deepEqual(legend('memory'), ['t194', 't195', 't196', 't197', 't198', 't199', 'other (194 types)']);
  assert.deepEqual(legend('cpu'), ['t000', 't001', 't002', 't003', 't004', 't150', 'other (194 types)'], 't150 has the highest CPU peak; ties keep name order');
  assert.equal(figure('memory').match(/<th scope="col">/g)?.length, 8, 'time, six types and other');
  // The other types' memory, summed: 1 + … + 194 MB.
  assert.match(figure('memory'), new RegExp(`other \\(194 types\\): latest ${(194 * 195 / 2 / 1024).toFixed(1)} GB`));
  for (const fid of ['memory', 'cpu', 'restarts']) {
    const svg = figure(fid).match(/<svg[\s\S]*?<\/svg>/)![0];
    assert.ok(svg.length < 60_000, `${fid}: ${svg.length} bytes of SVG`);
  }
});

test('the polled fragment runs only the access check and the metrics read, not the page header\'s queries', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await insertSample(h, 'demo', bucket(1));
  const sql: string[] = [];
  const onQuery = (q: { sql: string }) => sql.push(q.sql);
  h.db.on('query', onQuery);
  t.after(() => h.db.off('query', onQuery));
  const frag = await b.get('/apps/demo/metrics/charts?window=1h', { 'hx-request': 'true' });
  assert.equal(frag.status, 200);
  const appQueries = sql.filter((s) => !/sessions|users/.test(s));
  assert.ok(appQueries.some((s) => /app_metrics/.test(s)));
  assert.equal(appQueries.filter((s) => /"processes"|"builds"|distinct on/i.test(s)).length, 0, appQueries.join('\n'));
  assert.ok(appQueries.length <= 4, appQueries.join('\n'));
});

test('deploy markers and the deploy list keep the newest 50, and say how many more there were', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await insertSample(h, 'demo', bucket(1));
  const build = await insertBuild(h.db, 'demo', { status: 'succeeded' });
  const id = await appId(h, 'demo');
  await h.db('releases').insert(Array.from({ length: 80 }, (_, i) => ({
    app_id: id, version: i + 1, build_id: build, config: '{}', description: 'Deploy', status: 'succeeded', finished_at: new Date(Date.now() - (80 - i) * 30_000),
  })));
  const page = await b.get('/apps/demo/metrics');
  assert.equal(page.status, 200);
  const requests = page.body.match(/<figure class="chart" id="requests">[\s\S]*?<\/figure>/)![0];
  assert.equal(requests.match(/<g class="marker/g)?.length, 50);
  assert.doesNotMatch(requests, /<title>v30 /);
  assert.match(requests, /<title>v31 /);
  assert.equal(page.body.match(/<li><strong>v\d+<\/strong>/g)?.length, 50);
  assert.match(page.body, /30 more, older, not shown\./);
});
