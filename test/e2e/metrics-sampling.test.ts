// test/e2e/metrics-sampling.test.ts — the platform's sampler as a user meets it: a pushed app served through the
// router, with PAAS_METRICS_SAMPLE_MS short, gets its traffic and its web process's usage into app_metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { openDb } from '../../core/db/connect.ts';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

const url = process.env.DATABASE_URL;
let p: Platform;
let dir: string;
let alice: TestUser;
let db: Knex;

before(async () => {
  if (!url) return;
  dir = tempDir();
  p = await startPlatform({ env: { DATABASE_URL: url, PAAS_METRICS_SAMPLE_MS: '200' } });
  alice = await createUser(p, 'alice@example.com', dir);
  db = await openDb(url, p.env.PAAS_DB_SCHEMA as string);
});

after(async () => {
  await db?.destroy();
  if (p) await stopPlatform(p, dir);
});

test('a pushed app served through the router gets 10 s and 60 s rows of its traffic and its web usage', { skip: url ? false : 'DATABASE_URL is not set' }, async () => {
  await createApp(p, 'graphs', alice.email);
  const pushed = await git(await fixtureRepo('node', dir), alice.sshEnv, 'push', sshRemote(p, 'graphs'), 'main');
  assert.equal(pushed.code, 0, pushOutput(pushed));
  for (let i = 0; i < 6; i++) assert.equal((await getApp(p, 'graphs')).status, 200);
  const { id } = await db('apps').where({ name: 'graphs' }).first('id');
  const requests = (resolution: number) => db('app_metrics').where({ app_id: id, type: '', resolution })
    .sum({ n: db.raw('r1xx + r2xx + r3xx + r4xx + r5xx') }).first();
  // The push's own boot check goes to the process directly, not through the router: only the 6 GETs count.
  await waitFor(async () => Number((await requests(10))?.n) === 6 && Number((await requests(60))?.n) === 6, 15_000, '6 requests at both resolutions');
  const web = await waitFor(() => db('app_metrics').where({ app_id: id, type: 'web', resolution: 10 }).orderBy('at', 'desc').first(), 15_000, 'a web usage row');
  assert.equal(web.instances, 1);
  assert.ok(Number(web.memory_bytes) > 1024 * 1024, `memory_bytes ${web.memory_bytes}`);
});
