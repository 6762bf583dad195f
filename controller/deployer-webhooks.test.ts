// controller/deployer-webhooks.test.ts — a deploy's outcome writes the outgoing webhooks' deploy.succeeded or
// deploy.failed rows in the transaction that records it, so they exist even when no controller consumes the status
// event (here: nothing subscribes to the bus at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { MemoryBus } from '../core/bus.ts';
import { loadConfig } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import { RolloutFailedError, type RuntimeDriver } from '../runtime/driver.ts';
import { addWebhook } from '../services/webhooks.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { Deployer } from './deployer.ts';

for (const outcome of ['live', 'rolled back'] as const) {
  test(`a deploy that is ${outcome} writes its webhook delivery with its outcome, with no listener on the bus`, async (t) => {
    const db = await openTestSchema(t, 'deploy_hooks');
    if (!db) return;
    const build = await insertBuild(db, 'shop', { status: 'succeeded', number: 1 });
    await db('builds').where({ id: build }).update({ process_types: JSON.stringify({ worker: 'node worker.js' }), image: 'registry.test/shop:1' });
    const app = await db('apps').where({ name: 'shop' }).first('id');
    const [{ id: releaseId }] = await db('releases').insert({ app_id: app.id, version: 1, build_id: build, config: {}, description: 'push', status: 'pending' }).returning('id');
    const hook = await addWebhook(db, { kind: 'operator' }, 'shop', 'http://127.0.0.1:9/', 'deploy.succeeded,deploy.failed', true);
    const runtime = {
      async deploy() { if (outcome === 'rolled back') throw new RolloutFailedError('worker did not start', [], 1); },
      async runRelease() { throw new PaasError('E_INTERNAL', 'no release phase here'); },
    } as unknown as RuntimeDriver;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-hooks-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const log = pino({ level: 'silent' });
    const bus = new MemoryBus(log);
    t.after(bus.close.bind(bus));
    const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test', PAAS_DATA_DIR: dataDir, PAAS_BASE_DOMAIN: 'apps.test' });
    await new Deployer({ db, bus, log, config, runtime }).enqueue('shop', releaseId, false);
    const rows = await db('webhook_deliveries_out').select('webhook_id', 'event', 'event_key', 'status', 'payload');
    const status = outcome === 'live' ? 'succeeded' : 'failed';
    assert.deepEqual(rows.map((r) => [r.webhook_id, r.event, r.event_key, r.status]), [[hook.id, `deploy.${status}`, `deploy:${releaseId}:${status}`, 'pending']]);
    assert.deepEqual(rows[0].payload.data.release, { id: releaseId, version: 1 });
    assert.equal(rows[0].payload.data.build_id, build);
    if (outcome === 'rolled back') assert.match(rows[0].payload.data.error, /did not start/);
  });
}
