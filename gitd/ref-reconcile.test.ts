// gitd/ref-reconcile.test.ts — a review app's deployed push whose client went away moves the branch in its parent's
// repo (where the branch lives), not in the review app's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestSchema, insertBuild } from '../test/support/test-schema.ts';
import { createLogger } from '../core/logger.ts';
import { reconcileRefs } from './ref-reconcile.ts';
import { repoDir } from './repos.ts';

test("a review app's deployed branch moves in the parent's repo", async (t) => {
  const db = await openTestSchema(t, 'rr');
  if (!db) return;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-rr-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const gitDir = repoDir(dataDir, 'shop');
  fs.mkdirSync(path.dirname(gitDir), { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', gitDir]);
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const tree = execFileSync('git', ['--git-dir', gitDir, 'mktree'], { input: '', encoding: 'utf8' }).trim();
  const rev = execFileSync('git', ['--git-dir', gitDir, 'commit-tree', tree, '-m', 'review'], { env, encoding: 'utf8' }).trim();
  const buildId = await insertBuild(db, 'shop-feature-x', { status: 'succeeded' });
  const review = await db('apps').where({ name: 'shop-feature-x' }).first();
  const [parent] = await db('apps').insert({ name: 'shop', owner_id: review.owner_id }).returning('id');
  await db('apps').where({ id: review.id }).update({ parent_app_id: parent.id, review_branch: 'feature/x' });
  await db('builds').where({ id: buildId }).update({ ref: 'refs/heads/feature/x', rev });
  await db('releases').insert({ app_id: review.id, version: 1, build_id: buildId, description: 'Deploy', status: 'succeeded', finished_at: db.fn.now() });
  await reconcileRefs({ db, dataDir, log: createLogger('silent'), leaseSeconds: 30 });
  assert.equal(execFileSync('git', ['--git-dir', gitDir, 'rev-parse', 'refs/heads/feature/x'], { encoding: 'utf8' }).trim(), rev);
  const announced = await db('outbox').where({ subject: 'paas.ref.updated' }).first();
  assert.equal((typeof announced.payload === 'string' ? JSON.parse(announced.payload) : announced.payload).app, 'shop');
});
