// runtime/local/crash-loop.test.ts — Supervisor with real processes: a process that keeps crashing is given up after
// a bounded number of crashes in a row (a run that stayed up resets the count), and one that exits 0 is left alone.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { makeSlug, request, startHarness, toRelease, waitFor } from '../../test/support/local-runtime.ts';

const web = { type: 'web', command: 'node server.js v1', quantity: 1 };
// Short bounds, so a give-up takes milliseconds instead of minutes; the defaults are process-policy.ts restartPolicy.
const quick = { restartPolicy: { firstMs: 5, maxMs: 10, maxCrashes: 3, resetAfterUpMs: 60_000 }, settleMs: 5000 };
const givenUp = 'crashed 3 times in a row; not restarted (ps:restart to try again)';

test('a worker that keeps crashing is restarted, then given up after 3 crashes in a row: crashed, with the reason', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t, quick);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('loop', slug, 1, [web, { type: 'worker', command: 'echo boom; exit 3', quantity: 1 }]), (l) => h.progress.push(l));
  assert.ok(h.progress.includes('       worker.1 crashed (exited with code 3); restarting'), h.progress.join('\n'));

  const worker = await waitFor('the give-up', () => h.runtime.status('loop').find((s) => s.type === 'worker' && s.reason === givenUp));
  assert.deepEqual([worker.state, worker.restarts], ['crashed', 2]);
  assert.ok(h.logs.some((l) => l.source === 'paas' && l.line === `worker.1: ${givenUp}`));
  // Nothing restarts it any more: another app's worker ticks many times longer than the 10 ms backoff meanwhile.
  await h.runtime.deploy(toRelease('other', slug, 1, [{ type: 'worker', command: 'node worker.js', quantity: 1 }]), () => {});
  await waitFor('ten ticks of the other worker', () => h.logs.filter((l) => l.app === 'other' && l.line === 'tick').length >= 10);
  const after = h.runtime.status('loop').find((s) => s.type === 'worker');
  assert.deepEqual([after?.state, after?.restarts], ['crashed', 2]);
  assert.equal(h.logs.filter((l) => l.app === 'loop' && l.line === 'boom').length, 3);
  assert.equal((await request(h.routerPort, 'loop.localhost')).body, 'v1 web.1', 'web serves on');
});

test('a run that stayed up for resetAfterUpMs starts the count of crashes in a row again', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t, { ...quick, restartPolicy: { ...quick.restartPolicy, resetAfterUpMs: 300 } });
  const slug = await makeSlug(t);
  // Runs 1 and 2 crash at once, run 3 stays up 1 s before crashing, then every run crashes at once.
  const command = 'n=$(($(cat runs 2>/dev/null || echo 0) + 1)); echo $n > runs; if [ $n -eq 3 ]; then sleep 1; fi; exit 1';
  await h.runtime.deploy(toRelease('flaky', slug, 1, [{ type: 'worker', command, quantity: 1 }]), () => {});
  const worker = await waitFor('the give-up', () => h.runtime.status('flaky').find((s) => s.reason === givenUp));
  // Without the reset it would have given up at run 3; with it, runs 3, 4 and 5 are the three in a row.
  assert.equal(worker.restarts, 4);
  assert.equal((await fs.readFile(path.join(slug, 'runs'), 'utf8')).trim(), '5');
});

test('a type that exits 0 is not restarted: state exited, reason "exited with code 0", and the push says so', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t, quick);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('oneoff', slug, 1, [web, { type: 'custom', command: 'echo -n', quantity: 1 }]), (l) => h.progress.push(l));
  assert.ok(h.progress.includes('       custom.1 exited (code 0): not restarted'), h.progress.join('\n'));
  const custom = h.runtime.status('oneoff').find((s) => s.type === 'custom');
  assert.deepEqual([custom?.state, custom?.reason, custom?.restarts], ['exited', 'exited with code 0', 0]);
  assert.ok(h.logs.some((l) => l.source === 'paas' && l.line === 'custom.1: exited with code 0; not restarted (it ended cleanly)'));
});

test('a web process that exits 0 after being up ends as exited, and its route goes', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t, quick);
  const quits = `require('node:http').createServer((q, s) => { s.end('bye'); if (q.url === '/quit') setImmediate(() => process.exit(0)); }).listen(process.env.PORT);`;
  const slug = await makeSlug(t, { 'quits.js': quits });
  await h.runtime.deploy(toRelease('quitter', slug, 1, [{ type: 'web', command: 'node quits.js', quantity: 1 }]), () => {});
  assert.equal((await request(h.routerPort, 'quitter.localhost', { path: '/quit' })).body, 'bye');
  const ended = await waitFor('web.1 to end', () => h.runtime.status('quitter').find((s) => s.state === 'exited'));
  assert.deepEqual([ended.reason, ended.restarts], ['exited with code 0', 0]);
  assert.equal((await request(h.routerPort, 'quitter.localhost')).status, 503);
});
