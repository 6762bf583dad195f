// controller/slug-retention.test.ts — which slugs (and Docker images) retention keeps: the newest N, plus the live and pending ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { openTestSchema, insertBuild } from '../test/support/test-schema.ts';
import { pruneImages, slugsToKeep } from './slug-retention.ts';

test('the newest N are kept, and the live build and a pending deploy\'s build even when older', () => {
  const newestFirst = ['b5', 'b4', 'b3', 'b2', 'b1'].map((id) => ({ id }));
  assert.deepEqual([...slugsToKeep(newestFirst, 2, [])].sort(), ['b4', 'b5']);
  assert.deepEqual([...slugsToKeep(newestFirst, 2, ['b1', 'b3'])].sort(), ['b1', 'b3', 'b4', 'b5']);
});

test('pruneImages forgets and removes the images beyond the newest N, keeping the live build\'s and a running build\'s', async (t) => {
  const db = await openTestSchema(t, 'images');
  if (!db) return;
  const ids: string[] = [];
  for (const n of [1, 2, 3, 4, 5]) {
    const id = await insertBuild(db, 'demo', { number: n, status: 'succeeded' });
    await db('builds').where({ id }).update({ image: `paas-x/demo:${n}` });
    ids.push(id);
  }
  await insertBuild(db, 'demo', { number: 6, status: 'building' }); // tagged, perhaps, but not recorded yet
  const app = (await db('apps').where({ name: 'demo' }).first('id', 'name')) as { id: number; name: string };
  const [live] = await db('releases').insert({ app_id: app.id, version: 1, build_id: ids[0], config: '{}', description: 'Rollback', status: 'succeeded' }).returning('id');
  await db('apps').where({ id: app.id }).update({ current_release_id: (live as { id: number }).id });
  const calls: Array<[string, number[]]> = [];
  const pruned = await pruneImages(db, app, 2, async (name, keep) => { calls.push([name, [...keep].sort()]); }, pino({ level: 'silent' }));
  assert.equal(pruned, 2);
  assert.deepEqual(calls, [['demo', [1, 4, 5, 6]]]);
  const images = await db('builds').where({ app_id: app.id }).orderBy('number').pluck('image');
  assert.deepEqual(images, ['paas-x/demo:1', null, null, 'paas-x/demo:4', 'paas-x/demo:5', null]);
});
