// core/isolation-history.test.ts — a platform that ran sandboxes refuses to fall back to single-tenant mode silently.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { resolveIsolation } from './isolation.ts';
import { checkIsolationHistory, SANDBOXED_KEY, slugsOwnedByAppUids } from './isolation-history.ts';
import { openTestSchema } from '../test/support/test-schema.ts';

const broken = () => resolveIsolation('auto', 'local', () => 'bwrap cannot create namespaces here: setting up uid map: Permission denied');

function tempDataDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-history-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('after a boot in sandbox mode, PAAS_ISOLATION=auto falling back to single-tenant is refused with both ways out; none on purpose still starts', async (t) => {
  const db = await openTestSchema(t, 'iso');
  if (!db) return;
  const dataDir = tempDataDir(t);
  await checkIsolationHistory(db, broken(), dataDir); // a fresh platform without a sandbox: single-tenant, as before
  await checkIsolationHistory(db, resolveIsolation('auto', 'local', () => undefined), dataDir);
  assert.equal((await db('settings').where({ key: SANDBOXED_KEY }).first()).value, true);
  await assert.rejects(checkIsolationHistory(db, broken(), dataDir), (err: Error) => {
    assert.match(err.message, /ran in per-app sandboxes before, but the sandbox cannot run now \(bwrap cannot create namespaces here: setting up uid map/);
    assert.match(err.message, /fix bubblewrap/);
    assert.match(err.message, /set PAAS_ISOLATION=none/);
    return true;
  });
  await checkIsolationHistory(db, resolveIsolation('none', 'local'), dataDir);
});

test('an install older than the record counts as sandboxed when its slugs are owned by app uids', { skip: process.getuid?.() !== 0 && 'needs root (chown)' }, async (t) => {
  const db = await openTestSchema(t, 'iso');
  if (!db) return;
  const dataDir = tempDataDir(t);
  const slug = path.join(dataDir, 'apps', 'demo', 'slugs', '1');
  fs.mkdirSync(slug, { recursive: true });
  assert.equal(slugsOwnedByAppUids(dataDir), false);
  await checkIsolationHistory(db, broken(), dataDir);
  fs.chownSync(slug, 200_123, 200_123);
  assert.equal(slugsOwnedByAppUids(dataDir), true);
  await assert.rejects(checkIsolationHistory(db, broken(), dataDir), /PAAS_ISOLATION=none/);
});
