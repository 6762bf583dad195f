// controller/runtime-events.test.ts — the controller's runtime event handlers on the embedded bus with the real local
// runtime: a ps:restart that arrives before the restore waits for it; an error that would fail the same way again is
// logged with the app and not retried; one that may pass later (no release yet) is rethrown for a redelivery.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { MemoryBus, publish, type Handler } from '../core/bus.ts';
import { loadConfig } from '../core/config.ts';
import { isPaasError } from '../core/errors.ts';
import { LocalDriver } from '../runtime/local/driver.ts';
import { makeSlug, startHarness, toRelease, waitFor } from '../test/support/local-runtime.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { subscribeRuntimeEvents } from './runtime-events.ts';

/** The embedded bus, keeping each handler's outcome so a test can tell a final error (resolved) from a retried one. */
class RecordingBus extends MemoryBus {
  handled: Array<{ subject: string; outcome: Promise<unknown> }> = [];
  override subscribe(pattern: string, handler: Handler): () => void {
    return super.subscribe(pattern, (subject, payload) => {
      const outcome = Promise.resolve().then(() => handler(subject, payload));
      this.handled.push({ subject, outcome });
      return outcome;
    });
  }
}

/** The handlers over a real Supervisor, with `shop` (one worker) deployable; `restore` restores it and settles `restored`. */
async function world(t: TestContext) {
  const db = await openTestSchema(t, 'rtevents');
  if (!db) return undefined;
  const h = await startHarness(t);
  const logged: Array<{ level: number; msg: string; app?: string; err?: { code?: string } }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => { logged.push(JSON.parse(line)); } });
  const bus = new RecordingBus(log);
  const runtime = new LocalDriver(h.runtime, h.router, (app) => path.join(h.logDir, `${app}.log`));
  let markRestored!: () => void;
  const restored = new Promise<void>((resolve) => { markRestored = resolve; });
  t.after(bus.close.bind(bus));
  const unsubs = subscribeRuntimeEvents({ db, bus, config: loadConfig({}), runtime, log, restored });
  t.after(() => unsubs.forEach((u) => u()));
  const spec = toRelease('shop', await makeSlug(t), 1, [{ type: 'worker', command: 'node worker.js', quantity: 1 }]);
  const restore = async () => { await runtime.restore(spec, () => undefined); markRestored(); };
  const pid = () => h.runtime.status('shop').find((p) => p.type === 'worker' && p.state === 'up')?.pid;
  return { db, bus, logged, restore, pid };
}

test('a ps:restart that arrives before the restore after a controller start waits for it, and restarts', async (t) => {
  const w = await world(t);
  if (!w) return;
  await publish(w.bus, 'processesRestart', { app: 'shop', type: 'worker' });
  await waitFor('the restart handler to start', () => w.bus.handled.length === 1);
  await w.restore();
  const first = await waitFor('the restored worker', w.pid);
  await w.bus.handled[0]!.outcome;
  assert.notEqual(await waitFor('the restarted worker', w.pid), first);
});

test('a ps:scale that would fail the same way again is logged with the app and not retried', async (t) => {
  const w = await world(t);
  if (!w) return;
  await w.restore();
  await publish(w.bus, 'formationUpdated', { app: 'shop', quantities: { clock: 1 } });
  await waitFor('the scale handler', () => w.bus.handled.length === 1);
  await w.bus.handled[0]!.outcome; // resolved: the work item is done
  const entry = w.logged.find((l) => l.msg.startsWith('ps:scale failed'));
  assert.equal(entry?.app, 'shop');
  assert.equal(entry?.err?.code, 'E_PROCESS_TYPE_UNKNOWN');
});

test('a ps:restart of an app the runtime does not run is rethrown, for a redelivery', async (t) => {
  const w = await world(t);
  if (!w) return;
  await w.restore();
  await publish(w.bus, 'processesRestart', { app: 'ghost' });
  await waitFor('the restart handler', () => w.bus.handled.length === 1);
  await assert.rejects(w.bus.handled[0]!.outcome, (err) => isPaasError(err, 'E_NO_RELEASE'));
});

test('an autoscaling event that reaches a runtime without an autoscaler is logged with the app and not retried', async (t) => {
  const w = await world(t);
  if (!w) return;
  await w.restore();
  await insertBuild(w.db, 'shop', { status: 'succeeded' }); // the app's row (the handler reads its stored settings)
  await publish(w.bus, 'autoscalingUpdated', { app: 'shop', type: 'web' });
  await waitFor('the autoscaling handler', () => w.bus.handled.length === 1);
  await w.bus.handled[0]!.outcome; // resolved: the work item is done
  const entry = w.logged.find((l) => l.msg.startsWith('ps:autoscale failed'));
  assert.equal(entry?.app, 'shop');
  assert.equal(entry?.err?.code, 'E_AUTOSCALE_UNAVAILABLE');
});

