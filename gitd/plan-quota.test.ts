// gitd/plan-quota.test.ts — the push's plan checks in pre-receive, before anything is handed to the builder: the
// plan's disk per app at its boundary (exactly the limit passes, one byte more is refused, naming the plan), and a
// push to the deploy branch with the month's build minutes used up is refused with its ` !     ` line.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '../core/bus.ts';
import { dirBytes } from '../core/app-disk.ts';
import { createPlan } from '../services/plans.ts';
import { recordBuildSeconds } from '../services/build-minutes.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { runPreReceive, type PreReceiveDeps } from './pre-receive.ts';

const operator = { kind: 'operator' } as const;
const zero = '0'.repeat(40);
const branch = (name: string) => [{ ref: `refs/heads/${name}`, oldRev: zero, newRev: 'a'.repeat(40) }];

test("the plan's disk per app: exactly the limit passes, one byte more is refused; no minutes left refuses a deploy", async (t) => {
  const db = await openTestSchema(t, 'planquota');
  if (!db) return;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-plan-quota-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const gitDir = path.join(dataDir, 'repos', 'disk-app.git');
  fs.mkdirSync(gitDir, { recursive: true });
  const [owner] = await db('users').insert({ email: 'owner@example.com', password_hash: 'x' }).returning('id');
  const [app] = await db('apps').insert({ name: 'disk-app', owner_id: owner.id }).returning('id');
  await createPlan(db, operator, 'small-disk', { maxDiskMb: 1, buildMinutes: 1 }, true);
  const said: string[] = [];
  const deps: PreReceiveDeps = { db, bus: {} as Bus, dataDir, log: { error() {} } as never, hostEnv: { PATH: process.env.PATH ?? '', HOME: dataDir } as never, appQuotaBytes: 100 * 1024 * 1024 };
  const ctx = { app: 'disk-app', userId: owner.id, gitDir, hookEnv: {} };
  fs.writeFileSync(path.join(gitDir, 'pack'), Buffer.alloc(1024 * 1024 - (await dirBytes(gitDir))));
  assert.equal(await dirBytes(gitDir), 1024 * 1024);
  assert.deepEqual(await runPreReceive(deps, ctx, branch('feature'), (l) => said.push(l)), { code: 0, outcome: 'stored' });
  fs.writeFileSync(path.join(gitDir, 'one-more-byte'), 'x');
  said.length = 0;
  assert.deepEqual(await runPreReceive(deps, ctx, branch('feature'), (l) => said.push(l)), { code: 1, outcome: 'refused' });
  assert.match(said.join('\n'), /^ !     Push refused: plan "small-disk" allows 1 MB of disk per app; disk-app would use 1 MB \(.*\); nothing was stored\. Ask an admin for a larger plan$/);
  fs.rmSync(path.join(gitDir, 'one-more-byte'));
  await recordBuildSeconds(db, app.id, 'disk-app', crypto.randomUUID(), new Date(), 60);
  said.length = 0;
  assert.deepEqual(await runPreReceive(deps, ctx, branch('main'), (l) => said.push(l)), { code: 1, outcome: 'refused' });
  assert.deepEqual(said, [' !     Plan "small-disk" allows 1 build minutes a month; 1 are used this month (UTC). Nothing was built; wait for next month or ask an admin for a larger plan']);
});
