// controller/deployer-autoscaling.test.ts — a ps:autoscale (or :off) that lands while a deploy rolls out: the deploy
// applied the autoscaling it read when it started (and pruned the autoscalers it did not have), so once it is over,
// live or rolled back, the controller sends paas.autoscaling.updated again, after the release's outcome is recorded,
// for the handler to apply what is stored now. A deploy during which nothing changed sends none.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { MemoryBus } from '../core/bus.ts';
import { loadConfig } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import { RolloutFailedError, type RuntimeDriver } from '../runtime/driver.ts';
import type { ReleaseSpec } from '../runtime/types.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { Deployer } from './deployer.ts';

/** A runtime whose rollout runs `during` (another command landing meanwhile), then succeeds or fails with a rollback. */
function rolloutRuntime(during: () => Promise<void>, outcome: 'live' | 'rolled back'): { runtime: RuntimeDriver; deployed: ReleaseSpec[] } {
  const deployed: ReleaseSpec[] = [];
  const runtime = {
    async deploy(spec: ReleaseSpec) {
      deployed.push(spec);
      await during();
      if (outcome === 'rolled back') throw new RolloutFailedError('web did not become ready', [], 1);
    },
    async runRelease() { throw new PaasError('E_INTERNAL', 'no release phase here'); },
  };
  return { runtime: runtime as unknown as RuntimeDriver, deployed };
}

/** `shop` with v1 live (web autoscaled 1..3) and v2 pending; returns v2's id. */
async function shopWithPendingV2(t: TestContext) {
  const db = await openTestSchema(t, 'deploy_hpa');
  if (!db) return undefined;
  const b1 = await insertBuild(db, 'shop', { status: 'succeeded', number: 1 });
  const b2 = await insertBuild(db, 'shop', { status: 'succeeded', number: 2 });
  await db('builds').whereIn('id', [b1, b2]).update({ process_types: JSON.stringify({ web: 'node server.js', worker: 'node worker.js' }), image: 'registry.test/shop:1' });
  const app = await db('apps').where({ name: 'shop' }).first();
  const [v1] = await db('releases').insert({ app_id: app.id, version: 1, build_id: b1, config: {}, description: 'push', status: 'succeeded' }).returning('id');
  const [v2] = await db('releases').insert({ app_id: app.id, version: 2, build_id: b2, config: {}, description: 'push', status: 'pending' }).returning('id');
  await db('apps').where({ id: app.id }).update({ current_release_id: (v1 as { id: number }).id, autoscaling: JSON.stringify({ web: { min: 1, max: 3, cpu: 70 } }) });
  return { db, appId: app.id as number, v2: (v2 as { id: number }).id };
}

function deployerOver(t: TestContext, db: NonNullable<Awaited<ReturnType<typeof shopWithPendingV2>>>['db'], runtime: RuntimeDriver) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-hpa-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const log = pino({ level: 'silent' });
  const bus = new MemoryBus(log);
  t.after(bus.close.bind(bus));
  const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test', PAAS_DATA_DIR: dataDir, PAAS_BASE_DOMAIN: 'apps.test' });
  return new Deployer({ db, bus, log, config, runtime });
}

const outbox = (db: NonNullable<Awaited<ReturnType<typeof shopWithPendingV2>>>['db']) =>
  db('outbox').orderBy('id').select('subject', 'payload') as Promise<Array<{ subject: string; payload: { app: string; type?: string; status?: string } }>>;

for (const outcome of ['live', 'rolled back'] as const) {
  test(`ps:autoscale during a rollout (${outcome}): paas.autoscaling.updated goes out again after the outcome is recorded`, async (t) => {
    const w = await shopWithPendingV2(t);
    if (!w) return;
    // ps:autoscale worker lands mid-rollout, as services/autoscaling.ts stores it (its own event is sent then too).
    const { runtime, deployed } = rolloutRuntime(async () => {
      await w.db('apps').where({ id: w.appId }).update({ autoscaling: w.db.raw('autoscaling || ?::jsonb', [JSON.stringify({ worker: { min: 1, max: 4, cpu: 60 } })]) });
    }, outcome);
    await w.db('outbox').delete();
    await deployerOver(t, w.db, runtime).enqueue('shop', w.v2, false);
    assert.deepEqual(deployed.map((s) => s.processes.map((p) => [p.type, p.autoscale ?? null])), [[['web', { min: 1, max: 3, cpu: 70 }], ['worker', null]]], 'the deploy used what it read at its start');
    const events = await outbox(w.db);
    assert.equal(events.length, 2, JSON.stringify(events));
    assert.match(events[0]!.subject, /^paas\.deploy\.\d+\.status$/, 'the outcome first: the handler then sees the live release');
    assert.equal(events[1]!.subject, 'paas.autoscaling.updated');
    assert.deepEqual([events[1]!.payload.app, events[1]!.payload.type], ['shop', 'worker']);
    assert.equal(events[0]!.payload.status, outcome === 'live' ? 'succeeded' : 'failed');
  });
}

test('ps:autoscale:off during a rollout sends the event again; a rollout during which nothing changed sends none', async (t) => {
  const w = await shopWithPendingV2(t);
  if (!w) return;
  const { runtime } = rolloutRuntime(async () => {
    await w.db('apps').where({ id: w.appId }).update({ autoscaling: w.db.raw('autoscaling - ?::text', ['web']) });
  }, 'live');
  await w.db('outbox').delete();
  await deployerOver(t, w.db, runtime).enqueue('shop', w.v2, false);
  assert.deepEqual((await outbox(w.db)).filter((e) => e.subject === 'paas.autoscaling.updated').map((e) => e.payload.type), ['web']);

  const calm = await shopWithPendingV2(t);
  if (!calm) return;
  await calm.db('outbox').delete();
  await deployerOver(t, calm.db, rolloutRuntime(async () => undefined, 'live').runtime).enqueue('shop', calm.v2, false);
  const events = await outbox(calm.db);
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.match(events[0]!.subject, /^paas\.deploy\.\d+\.status$/);
});
