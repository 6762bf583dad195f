// runtime/docker/lifecycle.test.ts — the Docker runtime's process lifecycle against the real Engine: exits and crash
// loops as `ps` reports them, adoption after a platform restart, apps:destroy, and two platforms on one Engine.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { docker, dockerPlatform, makeBusyboxImage, spec, viaRouter, webCommand } from '../../test/support/docker-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';
import { appLogFile } from '../local/log-file.ts';
import { containerName, labels } from './names.ts';

let base = '';
const cleanups: Array<() => unknown> = [];
before(async () => { base = await makeBusyboxImage((fn) => cleanups.push(fn)); });
after(async () => { for (const fn of cleanups.reverse()) await fn(); });

test('a process that exits 0 is "exited", one that keeps crashing is restarted by the policy a bounded number of times, then "crashed"', async (t) => {
  const p = await dockerPlatform(t, base, { maxRestarts: 2 });
  await p.runtime.deploy(spec('loop', 1, await p.image('loop', 1), { done: ['echo finished', 1], bad: ['echo failing; exit 3', 1] }), () => {});
  const done = await waitFor(async () => (await p.runtime.status('loop')).find((s) => s.type === 'done' && s.state === 'exited'), 15_000, 'done.1 exited');
  assert.equal(done.restarts, 0);
  const bad = await waitFor(async () => (await p.runtime.status('loop')).find((s) => s.type === 'bad' && s.state === 'crashed' && s.reason?.includes('not restarted')), 30_000, 'bad.1 crashed for good');
  assert.equal(bad.restarts, 2);
  assert.equal(bad.reason, 'crashed 3 times; not restarted');
});

test('a new runtime on the same data dir adopts the running containers of the live release: no duplicates, routed again', async (t) => {
  const p = await dockerPlatform(t, base);
  const v2 = spec('adopt', 2, await p.image('adopt', 2), { web: [webCommand, 2], worker: ['exec sleep 600', 1] });
  await p.runtime.deploy(v2, () => {});
  const before = (await p.runtime.status('adopt')).map((s) => s.name).sort();
  // A container of an older release, as an interrupted deploy would leave; and a one-off whose client went away.
  const stale = await docker.createContainer({ name: `paas-${p.platform}-adopt-v1-web.1`, Image: v2.image!, Cmd: ['sleep', '600'], Labels: { [labels.platform]: p.platform, [labels.app]: 'adopt', [labels.release]: '1', [labels.type]: 'web', [labels.index]: '1', [labels.role]: 'process' } });
  await stale.start();
  await p.runtime.stopAll(); // platform shutdown: the containers keep running
  assert.equal((await p.runtime.status('adopt')).filter((s) => s.state === 'up').length, 4);

  const q = await dockerPlatform(t, base, { dataDir: p.dataDir });
  const said: string[] = [];
  await q.runtime.restore(spec('adopt', 2, v2.image!, { web: [webCommand, 2], worker: ['exec sleep 600', 1] }), (l) => said.push(l));
  const after = await q.runtime.status('adopt');
  assert.deepEqual(after.map((s) => s.name).sort(), before, said.join('\n'));
  assert.ok(after.every((s) => s.state === 'up'));
  await assert.rejects(stale.inspect(), { statusCode: 404 });
  assert.equal((await viaRouter(q.routerPort, 'adopt')).body, 'v2\n');
  assert.ok(said.some((l) => /web\.1 \(v2\) adopted: still running on port \d+/.test(l)), said.join('\n'));

  // What is missing is started, and only that.
  await docker.getContainer(after.find((s) => s.type === 'worker')!.name!).remove({ force: true });
  const r = await dockerPlatform(t, base, { dataDir: p.dataDir });
  await r.runtime.restore(spec('adopt', 2, v2.image!, { web: [webCommand, 2], worker: ['exec sleep 600', 1] }), () => {});
  const again = await r.runtime.status('adopt');
  assert.deepEqual(again.map((s) => `${s.type}.${s.index}`), ['web.1', 'web.2', 'worker.1']);
});

test('stop (apps:destroy) removes the app\'s containers, images and labelled volumes, and nothing of other apps', async (t) => {
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('gone', 1, await p.image('gone', 1), { web: [webCommand, 1], worker: ['exec sleep 600', 1] }), () => {});
  await p.runtime.deploy(spec('kept', 1, await p.image('kept', 1), { web: [webCommand, 1] }), () => {});
  await p.image('gone', 2);
  await docker.createVolume({ Name: `paas-${p.platform}-gone-data`, Labels: { [labels.platform]: p.platform, [labels.app]: 'gone' } });
  await p.runtime.stop('gone');
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${p.platform}`, `${labels.app}=gone`] } }), []);
  assert.deepEqual(await docker.listImages({ filters: { reference: [`paas-${p.platform}/gone`] } }), []);
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${labels.app}=gone`, `${labels.platform}=${p.platform}`] } });
  assert.deepEqual(Volumes ?? [], []);
  assert.equal((await viaRouter(p.routerPort, 'gone')).status, 404);
  assert.equal((await viaRouter(p.routerPort, 'kept')).body, 'v1\n');
});

test('two platforms on one Engine never see, adopt or remove each other\'s containers, even of an app with the same name', async (t) => {
  const a = await dockerPlatform(t, base);
  const b = await dockerPlatform(t, base);
  assert.notEqual(a.platform, b.platform);
  await a.runtime.deploy(spec('same', 1, await a.image('same', 1), { web: [webCommand, 1] }), () => {});
  const bSpec = spec('same', 1, await b.image('same', 1), { web: [webCommand, 1], worker: ['exec sleep 600', 1] });
  await b.runtime.deploy(bSpec, () => {});
  const bNames = (await b.runtime.status('same')).map((s) => s.name).sort();
  assert.equal(bNames.length, 2);
  assert.deepEqual((await a.runtime.statusAll(['same'])).map((s) => s.type), ['web'], 'A sees only its own');
  // A restore of A's release must not adopt or remove B's containers of the same app and version.
  await a.runtime.restore(spec('same', 1, (await a.image('same', 1)), { web: [webCommand, 1] }), () => {});
  await a.runtime.stop('same');
  assert.deepEqual((await b.runtime.status('same')).map((s) => s.name).sort(), bNames);
  assert.equal((await viaRouter(b.routerPort, 'same')).body, 'v1\n');
  assert.equal((await docker.listImages({ filters: { reference: [`paas-${b.platform}/same`] } })).length, 1, 'B\'s image stays');
});

test('a container with the platform\'s labels but a name the platform did not give (a Dockerfile\'s LABEL on a build container) is not seen, adopted or removed', async (t) => {
  const p = await dockerPlatform(t, base);
  const s1 = spec('victim', 1, await p.image('victim', 1), { web: [webCommand, 1] });
  await p.runtime.deploy(s1, () => {});
  const spoof = await docker.createContainer({ Image: s1.image!, Cmd: ['sleep', '600'], Labels: { [labels.platform]: p.platform, [labels.app]: 'victim', [labels.release]: '1', [labels.type]: 'web', [labels.index]: '1', [labels.role]: 'process' } });
  t.after(() => spoof.remove({ force: true }).catch(() => undefined));
  await spoof.start();
  assert.deepEqual((await p.runtime.status('victim')).map((x) => x.name), [containerName(p.platform, 'victim', 1, 'web', 1)]);
  await p.runtime.stopAll();
  const q = await dockerPlatform(t, base, { dataDir: p.dataDir });
  await q.runtime.restore(s1, () => {});
  assert.equal((await q.runtime.status('victim')).length, 1, 'not adopted');
  assert.equal((await spoof.inspect()).State.Running, true, 'not removed either: it is not the platform\'s');
});

test('a restore that comes after a newer deploy in the same process leaves that deploy alone; a running one-off is left to its runner', async (t) => {
  const p = await dockerPlatform(t, base);
  const v1 = spec('late', 1, await p.image('late', 1), { web: [webCommand, 1] });
  const v2 = spec('late', 2, await p.image('late', 2), { web: [webCommand, 1] });
  await p.runtime.deploy(v2, () => {});
  const abort = new AbortController();
  let ready!: () => void;
  const running = new Promise<void>((resolve) => { ready = resolve; });
  const oneOff = p.runtime.runOneOff({ spec: v2, command: 'echo ready; exec sleep 600', onLine: (l) => { if (l === 'ready') ready(); }, signal: abort.signal, timeoutMs: 60_000 });
  await running;
  await p.runtime.restore(v1, () => {});
  await p.runtime.restore(v2, () => {});
  assert.equal((await viaRouter(p.routerPort, 'late')).body, 'v2\n');
  assert.deepEqual((await p.runtime.status('late')).map((x) => x.version), [2]);
  const q = await dockerPlatform(t, base, { dataDir: p.dataDir }); // a controller restart, the one-off's gitd still there
  await q.runtime.restore(v2, () => {});
  abort.abort();
  assert.equal(await oneOff, 137, 'the one-off ran until its runner ended it');
});

test('after the route switch, a worker that cannot be started is reported as crashed and the deploy completes; v1 is gone', async (t) => {
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('live', 1, await p.image('live', 1), { web: [webCommand, 1], worker: ['exec sleep 600', 1] }), () => {});
  // A container of the worker's name that is not the platform's: the Engine refuses to create v2's worker.1.
  const blocker = await docker.createContainer({ name: containerName(p.platform, 'live', 2, 'worker', 1), Image: base, Cmd: ['sleep', '600'] });
  t.after(() => blocker.remove({ force: true }).catch(() => undefined));
  const said: string[] = [];
  await p.runtime.deploy(spec('live', 2, await p.image('live', 2), { web: [webCommand, 1], worker: ['exec sleep 600', 1] }), (l) => said.push(l));
  assert.ok(said.some((l) => l.startsWith('       worker.1 crashed: it ')), said.join('\n'));
  assert.equal((await viaRouter(p.routerPort, 'live')).body, 'v2\n');
  assert.deepEqual((await p.runtime.status('live')).map((x) => `${x.type}.${x.index}:v${x.version}`), ['web.1:v2']);
  await waitFor(() => fs.readFileSync(appLogFile(p.dataDir, 'live'), 'utf8').includes('worker.1: crashed: it '), 5000, 'the crash in the app log');
});
