// Integration tests for core/build-tokens.ts against the machine's PostgreSQL (one schema per test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { checkBuildToken, createBuildToken, isUuid } from './build-tokens.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';

test('a created token checks for its build only, and only its hash is stored', async (t) => {
  const db = await openTestSchema(t, 'bt');
  if (!db) return;
  const buildId = await insertBuild(db);
  const token = await createBuildToken(db, buildId);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await checkBuildToken(db, buildId, token), true);
  assert.equal(await checkBuildToken(db, buildId, token + 'x'), false);
  assert.equal(await checkBuildToken(db, buildId, ''), false);
  assert.equal(await checkBuildToken(db, crypto.randomUUID(), token), false);
  assert.equal(await checkBuildToken(db, '../../etc/passwd', token), false, 'a non-UUID id is refused before the query');
  const rows = await db('build_tokens').select('token_hash', 'expires_at');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].token_hash, crypto.createHash('sha256').update(token).digest('hex'));
  const ttl = (new Date(rows[0].expires_at).getTime() - Date.now()) / 1000;
  assert.ok(ttl > 890 && ttl <= 900, `default TTL is 15 minutes, got ${ttl}s`);
});

test('re-creating replaces the earlier token', async (t) => {
  const db = await openTestSchema(t, 'bt');
  if (!db) return;
  const buildId = await insertBuild(db);
  const first = await createBuildToken(db, buildId);
  const second = await createBuildToken(db, buildId, 60);
  assert.notEqual(first, second);
  assert.equal(await checkBuildToken(db, buildId, first), false);
  assert.equal(await checkBuildToken(db, buildId, second), true);
  assert.equal((await db('build_tokens').count<{ count: string }[]>('* as count'))[0]?.count, '1');
});

test('an expired token is refused, and tokens go with their build', async (t) => {
  const db = await openTestSchema(t, 'bt');
  if (!db) return;
  const buildId = await insertBuild(db);
  const expired = await createBuildToken(db, buildId, -1);
  assert.equal(await checkBuildToken(db, buildId, expired), false);
  await createBuildToken(db, buildId);
  await db('builds').where({ id: buildId }).delete();
  assert.equal((await db('build_tokens').select()).length, 0);
});

test('isUuid accepts canonical UUIDs only', () => {
  assert.equal(isUuid(crypto.randomUUID()), true);
  assert.equal(isUuid('0d6f5b9e-1c1a-4f7e-9a43-6b0b5d9e3a21'.toUpperCase()), true);
  for (const bad of ['', 'x', '../0d6f5b9e-1c1a-4f7e-9a43-6b0b5d9e3a21', '0d6f5b9e1c1a4f7e9a436b0b5d9e3a21', '0d6f5b9e-1c1a-4f7e-9a43-6b0b5d9e3a21\n']) {
    assert.equal(isUuid(bad), false, bad);
  }
});
