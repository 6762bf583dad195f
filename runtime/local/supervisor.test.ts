// runtime/local/supervisor.test.ts — Supervisor with real processes, real HTTP and the real Router: deploys, boot failures, crash restarts, scaling.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { isPaasError } from '../../core/errors.ts';
import { initTracing, withSpan } from '../../core/tracing.ts';
import { ReleaseBootError } from './supervisor.ts';
import { isAlive, makeSlug, request, startHarness, toRelease, waitFor, type Reply } from '../../test/support/local-runtime.ts';

initTracing('supervisor-test', { headers: {} }); // spans get ids (not exported): the trace a log line is in is visible
const web = (label: string, quantity = 1) => ({ type: 'web', command: `node server.js ${label}`, quantity });
const host = 'myapp.localhost';

test('deploy v1 serves its body through the router and logs its output', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('myapp', slug, 1, [web('v1')]), (l) => h.progress.push(l));

  const reply = await request(h.routerPort, `${host}:8080`);
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'v1 web.1');
  assert.deepEqual(h.progress.slice(0, 2), ['-----> Starting web.1 (v1)', `       web.1 is up on port ${h.runtime.status('myapp')[0]?.port}`]);

  const [ps] = h.runtime.status('myapp');
  assert.equal(ps?.state, 'up');
  assert.equal(ps?.version, 1);
  assert.ok(ps?.pid && isAlive(ps.pid));
  assert.ok(h.logs.some((l) => l.source === 'web.1' && l.line.startsWith('v1 listening on')));
  const file = await fs.readFile(path.join(h.logDir, 'myapp.log'), 'utf8');
  assert.match(file, /^\d{4}-\d\d-\d\dT[\d:.]+Z app\[web\.1\]: v1 listening on \d+$/m);
  assert.match(file, / app\[paas\]: web\.1: up on port \d+$/m);
});

test('app processes outlive the deploy\'s trace: their output is handed over in no trace, the deploy\'s own lines in it', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  const deployTrace = await withSpan('deploy', {}, async (span) => {
    await h.runtime.deploy(toRelease('myapp', slug, 1, [web('v1'), { type: 'worker', command: 'node worker.js', quantity: 1 }]), () => {});
    return span.spanContext().traceId;
  });
  await waitFor('worker ticks after the deploy', () => h.logs.filter((l) => l.source === 'worker.1' && l.line === 'tick').length >= 2);
  const output = h.logs.filter((l) => l.source !== 'paas');
  assert.ok(output.some((l) => l.source === 'web.1' && l.line.startsWith('v1 listening on')));
  assert.deepEqual(output.filter((l) => l.trace !== undefined), [], 'no app output line in a trace');
  assert.ok(h.logs.some((l) => l.source === 'paas' && l.trace === deployTrace), 'the platform\'s own deploy lines are in the deploy\'s trace');
});

test('the process env has PORT, DYNO, RELEASE_VERSION, APP_NAME, config vars and the slug bin first on PATH', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('myapp', slug, 4, [web('v4')], { DATABASE_URL: 'postgres://db/x' }), () => {});
  const env = JSON.parse((await request(h.routerPort, host, { path: '/env' })).body) as Record<string, string>;
  assert.equal(env.PORT, String(h.runtime.status('myapp')[0]?.port));
  assert.equal(env.DYNO, 'web.1');
  assert.equal(env.RELEASE_VERSION, 'v4');
  assert.equal(env.APP_NAME, 'myapp');
  assert.equal(env.DATABASE_URL, 'postgres://db/x');
  assert.equal(env.PATH?.split(':')[0], path.join(slug, 'bin'));
  assert.ok(env.PATH?.split(':').includes(path.dirname(process.execPath)));
});

/** Requests in a loop until stop() says so; records every outcome. */
async function hammer(port: number, stop: () => boolean, out: Array<Reply | Error>): Promise<void> {
  while (!stop()) out.push(await request(port, host).catch((err: Error) => err));
}

test('deploying v2 under load drops no request and retires v1', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  // v1 dies at once on SIGTERM, so only the router's drain before the stop keeps in-flight requests whole.
  await h.runtime.deploy(toRelease('myapp', slug, 1, [{ type: 'web', command: 'node server.js v1 abrupt', quantity: 1 }]), () => {});
  const v1Pid = h.runtime.status('myapp')[0]?.pid as number;

  const results: Array<Reply | Error> = [];
  let deployed = false;
  let afterDeploy = 0;
  const stop = () => deployed && results.length - afterDeploy >= 50;
  const loops = Array.from({ length: 8 }, () => hammer(h.routerPort, stop, results));
  await waitFor('some v1 answers under load', () => results.length >= 20);
  await h.runtime.deploy(toRelease('myapp', slug, 2, [web('v2')]), (l) => h.progress.push(l));
  afterDeploy = results.length;
  deployed = true;
  await Promise.all(loops);

  const failures = results.filter((r) => r instanceof Error || r.status !== 200);
  assert.deepEqual(failures, []);
  const bodies = (results as Reply[]).map((r) => r.body);
  assert.ok(bodies.includes('v1 web.1') && bodies.includes('v2 web.1'));
  assert.ok(bodies.slice(afterDeploy).every((b) => b === 'v2 web.1'), 'only v2 answers once deploy resolved');
  assert.equal(isAlive(v1Pid), false);
  assert.deepEqual(h.runtime.status('myapp').map((s) => [s.version, s.type, s.state]), [[2, 'web', 'up']]);
  assert.ok(h.progress.includes('-----> Stopping v1'));
});

test('a v3 whose web exits fails with E_RELEASE_BOOT_FAILED and its last lines, and v2 keeps serving', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t, { 'crash.js': `console.log('booting'); console.error('Error: DATABASE_URL is not set'); process.exit(1);` });
  await h.runtime.deploy(toRelease('myapp', slug, 2, [web('v2')]), () => {});

  const err = await h.runtime.deploy(toRelease('myapp', slug, 3, [{ type: 'web', command: 'node crash.js', quantity: 1 }]), () => {}).then(
    () => assert.fail('deploy should fail'),
    (e: unknown) => e,
  );
  assert.ok(isPaasError(err, 'E_RELEASE_BOOT_FAILED'));
  assert.ok(err instanceof ReleaseBootError);
  assert.equal(err.message, "Release v3's web process did not start: exited with code 1");
  assert.deepEqual(err.lastLines, ['booting', 'Error: DATABASE_URL is not set']);

  assert.equal((await request(h.routerPort, host)).body, 'v2 web.1');
  assert.deepEqual(h.runtime.status('myapp').map((s) => s.version), [2]);
});

test('a v3 that never listens times out, is killed, and v2 keeps serving', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t, { bootTimeoutMs: 1500 });
  const slug = await makeSlug(t, { 'idle.js': `console.log('thinking about it'); setInterval(() => {}, 1000);` });
  await h.runtime.deploy(toRelease('myapp', slug, 2, [web('v2')]), () => {});

  let v3Pid: number | undefined;
  const failed = h.runtime.deploy(toRelease('myapp', slug, 3, [{ type: 'web', command: 'node idle.js', quantity: 1 }]), () => {});
  await waitFor('v3 to be spawned', () => (v3Pid = h.runtime.status('myapp').find((s) => s.version === 3)?.pid));
  await assert.rejects(failed, (err: unknown) => {
    assert.ok(err instanceof ReleaseBootError);
    assert.equal(err.code, 'E_RELEASE_BOOT_FAILED');
    assert.equal(err.message, "Release v3's web process did not start: did not answer on its port within 1.5s");
    assert.ok(err.lastLines.includes('thinking about it'));
    return true;
  });
  assert.equal(isAlive(v3Pid as number), false);
  assert.equal((await request(h.routerPort, host)).body, 'v2 web.1');
});

test('a crashed web process is restarted with backoff and routed again', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('myapp', slug, 1, [web('v1')]), () => {});

  for (const [round, delay] of [[1, '1s'], [2, '2s']] as const) {
    const before = h.runtime.status('myapp')[0];
    process.kill(before?.pid as number, 'SIGKILL');
    await waitFor('the crash to be seen', () => h.runtime.status('myapp')[0]?.state === 'crashed');
    assert.equal((await request(h.routerPort, host)).status, 503, 'a down instance leaves the router');
    const after = await waitFor('the restart', () => {
      const s = h.runtime.status('myapp')[0];
      return s?.state === 'up' && s.restarts === round ? s : undefined;
    });
    assert.notEqual(after.pid, before?.pid);
    assert.ok(h.logs.some((l) => l.source === 'paas' && l.line === `web.1: crashed; restarting in ${delay}`));
    assert.equal((await request(h.routerPort, host)).body, 'v1 web.1');
  }
});

test('scale web=2 uses both backends, scale down stops one, unknown types are refused', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('myapp', slug, 1, [web('v1'), { type: 'worker', command: 'node worker.js', quantity: 0 }]), () => {});

  await h.runtime.scale('myapp', { web: 2 });
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await request(h.routerPort, host)).body);
  assert.deepEqual([...seen].sort(), ['v1 web.1', 'v1 web.2']);

  const web2Pid = h.runtime.status('myapp')[1]?.pid as number;
  await h.runtime.scale('myapp', { web: 1, worker: 1 });
  assert.deepEqual(h.runtime.status('myapp').map((s) => `${s.type}.${s.index}`), ['web.1', 'worker.1']);
  assert.equal(isAlive(web2Pid), false);
  await waitFor('the worker output', () => h.logs.some((l) => l.source === 'worker.1' && l.line === 'tick'));
  assert.ok(h.logs.some((l) => l.source === 'worker.1' && /^worker started as worker\.1 with PORT \d+ pid \d+$/.test(l.line)));

  await assert.rejects(h.runtime.scale('myapp', { clock: 1 }), (err: unknown) => isPaasError(err, 'E_PROCESS_TYPE_UNKNOWN'));
});

test('a release without web runs its workers and removes the route; stop() ends everything', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  await h.runtime.deploy(toRelease('myapp', slug, 1, [web('v1'), { type: 'worker', command: 'node worker.js', quantity: 1 }]), () => {});
  const v1Worker = h.runtime.status('myapp').find((s) => s.type === 'worker');
  assert.equal(v1Worker?.state, 'up');

  await h.runtime.deploy(toRelease('myapp', slug, 2, [{ type: 'worker', command: 'node worker.js', quantity: 1 }]), () => {});
  assert.equal((await request(h.routerPort, host)).status, 404);
  assert.deepEqual(h.runtime.status('myapp').map((s) => [s.version, s.type]), [[2, 'worker']]);
  assert.equal(isAlive(v1Worker?.pid as number), false);

  const v2Worker = h.runtime.status('myapp')[0]?.pid as number;
  await h.runtime.stop('myapp');
  assert.deepEqual(h.runtime.status('myapp'), []);
  assert.equal(isAlive(v2Worker), false);
});

test('stop() kills the whole process group, with SIGKILL for processes that ignore SIGTERM', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t, { graceMs: 500 });
  const stubborn = `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);`;
  const slug = await makeSlug(t, { 'stubborn.js': stubborn });
  // A background worker in the same shell: it must die with the dyno.
  const command = 'node worker.js & node stubborn.js';
  await h.runtime.deploy(toRelease('myapp', slug, 1, [{ type: 'web', command, quantity: 1 }]), () => {});
  const line = await waitFor('the background worker', () => h.logs.find((l) => l.source === 'web.1' && l.line.startsWith('worker started')));
  const workerPid = Number(/pid (\d+)$/.exec(line.line)?.[1]);
  assert.ok(isAlive(workerPid));

  await h.runtime.stop('myapp');
  assert.ok(h.logs.some((l) => l.line === 'ignoring SIGTERM'));
  assert.equal(isAlive(workerPid), false);
  assert.equal((await request(h.routerPort, host)).status, 404);
});

test('restart boots new web processes before the old ones stop: a request loop sees no failure; workers restart and crashed ones come back', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t, { 'crash.js': 'process.exit(1)' });
  const spec = toRelease('myapp', slug, 1, [{ type: 'web', command: 'node server.js v1 abrupt', quantity: 2 }, { type: 'worker', command: 'node worker.js', quantity: 1 }, { type: 'flaky', command: 'node crash.js', quantity: 1 }]);
  await h.runtime.deploy(spec, () => {});
  await waitFor('the flaky process to crash', () => h.runtime.status('myapp').find((s) => s.type === 'flaky')?.state === 'crashed');
  const before = new Map(h.runtime.status('myapp').map((s) => [`${s.type}.${s.index}`, s.pid]));

  const results: Array<Reply | Error> = [];
  let restarted = false;
  let after = 0;
  const stop = () => restarted && results.length - after >= 40;
  const loops = Array.from({ length: 6 }, () => hammer(h.routerPort, stop, results));
  await waitFor('answers under load', () => results.length >= 20);
  await h.runtime.restart('myapp', undefined, (l) => h.progress.push(l));
  after = results.length;
  restarted = true;
  await Promise.all(loops);

  assert.deepEqual(results.filter((r) => r instanceof Error || r.status !== 200), [], 'no request failed while web restarted');
  const now = h.runtime.status('myapp');
  assert.deepEqual(now.map((s) => `${s.type}.${s.index}`), ['flaky.1', 'web.1', 'web.2', 'worker.1']);
  for (const s of now.filter((p) => p.type !== 'flaky')) {
    assert.equal(s.state, 'up');
    assert.notEqual(s.pid, before.get(`${s.type}.${s.index}`), `${s.type}.${s.index} is a new process`);
    assert.equal(isAlive(before.get(`${s.type}.${s.index}`) as number), false, `the old ${s.type}.${s.index} is gone`);
  }
  assert.equal(now.find((s) => s.type === 'flaky')?.restarts, 0, 'the crashed instance was replaced by a fresh one');
  assert.ok(h.logs.some((l) => l.source === 'paas' && l.line === 'restarting every process of v1 (ps:restart)'));

  const worker = now.find((s) => s.type === 'worker')?.pid;
  const web = now.filter((s) => s.type === 'web').map((s) => s.pid);
  await h.runtime.restart('myapp', 'worker');
  assert.notEqual(h.runtime.status('myapp').find((s) => s.type === 'worker')?.pid, worker);
  assert.deepEqual(h.runtime.status('myapp').filter((s) => s.type === 'web').map((s) => s.pid), web, 'only the type asked for');
  await assert.rejects(h.runtime.restart('myapp', 'clock'), (err: unknown) => isPaasError(err, 'E_PROCESS_TYPE_UNKNOWN'));
});

test('a restart whose new web does not boot fails with E_RELEASE_BOOT_FAILED and the running web keeps serving', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t, { 'gate.js': `if (require('node:fs').existsSync(__dirname + '/broken')) { console.error('broken now'); process.exit(1); } require('./server.js');` });
  await h.runtime.deploy(toRelease('myapp', slug, 1, [{ type: 'web', command: 'node gate.js v1', quantity: 1 }]), () => {});
  const pid = h.runtime.status('myapp')[0]?.pid;
  await fs.writeFile(path.join(slug, 'broken'), '');
  await assert.rejects(h.runtime.restart('myapp', 'web'), (err: unknown) => err instanceof ReleaseBootError && err.lastLines.includes('broken now'));
  assert.deepEqual(h.runtime.status('myapp').map((s) => [s.pid, s.state]), [[pid, 'up']]);
  assert.equal((await request(h.routerPort, host)).body, 'v1 web.1');
  assert.ok(h.logs.some((l) => l.source === 'paas' && /^restart failed: Release v1's web process did not start: exited with code 1; the running web processes keep serving$/.test(l.line)));
});
