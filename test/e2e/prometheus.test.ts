// test/e2e/prometheus.test.ts — a real Prometheus (Debian's 2.42) scrapes the platform started as the README does,
// with PAAS_METRICS_TOKEN: after a push with the real git and traffic through the router, its HTTP API has the push
// counter and the app's router histogram; a scrape with a wrong token is refused (the target is down with a 401).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { scrapedTargets, startPrometheus, type Prometheus } from '../support/prometheus.ts';
import { waitFor } from '../support/wait.ts';

const TOKEN = crypto.randomBytes(24).toString('hex');
let p: Platform;
let dir: string;
let alice: TestUser;
let prom: Prometheus | undefined;

before(async () => {
  dir = tempDir();
  p = await startPlatform({ env: { PAAS_METRICS_TOKEN: TOKEN } });
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  await prom?.stop();
  await stopPlatform(p, dir);
});

/** The single value of an instant query (NaN without one). */
async function valueOf(expr: string): Promise<number> {
  const result = await prom!.query(expr);
  return result.length === 1 ? Number(result[0]!.value[1]) : NaN;
}

test('Prometheus scrapes the platform with the metrics token: the push counter and the app\'s router histogram', async () => {
  await createApp(p, 'metered', alice.email);
  const repo = await fixtureRepo('static', dir);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'metered'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  for (let i = 0; i < 5; i++) assert.equal((await getApp(p, 'metered', `/?n=${i}`)).status, 200);
  assert.equal((await getApp(p, 'metered', '/no-such-page')).status, 404);

  prom = await startPrometheus([
    { name: 'paas', target: `127.0.0.1:${p.httpPort}`, token: TOKEN },
    { name: 'wrong-token', target: `127.0.0.1:${p.httpPort}`, token: `${TOKEN}x` },
  ]);
  const health = await scrapedTargets(prom, 2);
  assert.equal(health.paas!.health, 'up', health.paas!.lastError);
  assert.equal(health['wrong-token']!.health, 'down');
  assert.match(health['wrong-token']!.lastError, /401/);

  assert.equal(await valueOf('paas_pushes_total{job="paas",outcome="succeeded"}'), 1);
  assert.equal(await valueOf('sum(paas_pushes_total{job="paas"})'), 1, 'no other outcome was counted');
  const requests = await valueOf('paas_app_request_duration_seconds_count{job="paas",app="metered"}');
  assert.ok(requests >= 6, `router histogram count for metered: ${requests}`);
  assert.equal(await valueOf('paas_app_requests_total{job="paas",app="metered",class="4xx"}'), 1);
  assert.equal(await valueOf('paas_app_request_duration_seconds_bucket{job="paas",app="metered",le="+Inf"}'), requests);
  assert.equal(await valueOf('count(paas_build_duration_seconds_count{job="paas",stack="static",outcome="succeeded"})'), 1);
  assert.equal(await valueOf('paas_deploy_duration_seconds_count{job="paas",stack="static",outcome="succeeded"}'), 1);
  assert.ok(await valueOf('paas_process_resident_memory_bytes{job="paas"}') > 0, 'Node\'s process metrics, prefixed paas_');
  // More traffic shows in a later scrape: the histogram is read live from the router at each scrape.
  for (let i = 0; i < 4; i++) await getApp(p, 'metered', '/');
  await waitFor(async () => (await valueOf('paas_app_request_duration_seconds_count{job="paas",app="metered"}')) >= requests + 4, 20_000, 'the new requests in Prometheus');
  // histogram_quantile works on the router's own buckets.
  assert.ok(Number.isFinite(await valueOf('histogram_quantile(0.5, sum by (le) (paas_app_request_duration_seconds_bucket{job="paas",app="metered"}))')));
});
