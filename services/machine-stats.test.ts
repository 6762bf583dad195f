// services/machine-stats.test.ts — the admin page's busiest apps, against real Postgres: which rows each list reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestSchema, insertBuild } from '../test/support/test-schema.ts';
import { topApps } from './machine-stats.ts';

test('memory now sums each type\'s latest row of the last 2 minutes; CPU and requests come from the hour\'s 60 s rows', async (t) => {
  const db = await openTestSchema(t, 'machine');
  if (!db) return;
  await insertBuild(db, 'shop', { status: 'succeeded' });
  await insertBuild(db, 'blog', { status: 'succeeded' });
  const id = async (name: string) => (await db('apps').where({ name }).first('id')).id as number;
  const shop = await id('shop'), blog = await id('blog');
  const now = new Date('2026-01-02T03:04:05Z'), ago = (s: number) => new Date(now.getTime() - s * 1000);
  const mb = 1024 * 1024;
  await db('app_metrics').insert([
    // shop: web sampled 5 s ago, worker 65 s ago (types are sampled apart), an old web row 30 s ago.
    { app_id: shop, type: 'web', resolution: 10, at: ago(5), memory_bytes: 100 * mb, cpu_seconds: 999 },
    { app_id: shop, type: 'web', resolution: 10, at: ago(35), memory_bytes: 70 * mb },
    { app_id: shop, type: 'worker', resolution: 10, at: ago(65), memory_bytes: 50 * mb },
    { app_id: shop, type: 'clock', resolution: 10, at: ago(300), memory_bytes: 500 * mb }, // stopped minutes ago
    { app_id: shop, type: 'web', resolution: 60, at: ago(600), cpu_seconds: 1800 },
    { app_id: shop, type: '', resolution: 60, at: ago(600), r2xx: 40, r5xx: 2 },
    { app_id: shop, type: '', resolution: 10, at: ago(5), r2xx: 1000 }, // the 10 s rows are not read for the hour's lists
    { app_id: blog, type: 'web', resolution: 10, at: ago(15), memory_bytes: 120 * mb },
    { app_id: blog, type: 'web', resolution: 60, at: ago(4000), cpu_seconds: 3600 }, // before the hour
  ]);
  const top = await topApps(db, 5, now);
  assert.deepEqual(top.memory, [{ name: 'shop', value: 150 * mb }, { name: 'blog', value: 120 * mb }]);
  assert.deepEqual(top.cpu, [{ name: 'shop', value: 0.5 }]);
  assert.deepEqual(top.requests, [{ name: 'shop', value: 42 }]);
});
