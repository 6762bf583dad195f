// runtime/docker/runtime.test.ts — the Docker runtime against the real Engine: deploys routed through a real Router,
// zero-downtime switches, failed boots, the release phase, one-off containers, scale, restart and logs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { ReleaseBootError } from '../boot-error.ts';
import { appLogFile } from '../local/log-file.ts';
import { docker, dockerPlatform, makeBusyboxImage, makeShelllessImage, spec, viaRouter, webCommand } from '../../test/support/docker-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';
import { labels } from './names.ts';
import { networkName } from './network.ts';

let base = '';
const cleanups: Array<() => unknown> = [];
before(async () => { base = await makeBusyboxImage((fn) => cleanups.push(fn)); });
after(async () => { for (const fn of cleanups.reverse()) await fn(); });

test('a deploy starts web in a container behind the router; the container has the platform\'s labels, limits and security options', async (t) => {
  const p = await dockerPlatform(t, base);
  const lines: string[] = [];
  await p.runtime.deploy(spec('web1', 1, await p.image('web1', 1), { web: [webCommand, 1] }), (l) => lines.push(l));
  assert.deepEqual((await viaRouter(p.routerPort, 'web1')).body, 'v1\n');
  assert.ok(lines.includes('-----> Starting web.1 (v1)'), lines.join('\n'));
  assert.ok(lines.some((l) => /^ {7}web\.1 is up on port \d+$/.test(l)), lines.join('\n'));
  const [status] = await p.runtime.status('web1');
  assert.equal(status?.state, 'up');
  const info = await docker.getContainer(status!.name!).inspect();
  assert.equal(info.Config.Labels[labels.platform], p.platform);
  assert.equal(info.Config.Labels[labels.role], 'process');
  assert.equal(info.Config.User, '1000:1000', 'the image\'s own non-root user');
  assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
  assert.deepEqual(info.HostConfig.SecurityOpt, ['no-new-privileges']);
  assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(info.HostConfig.PidsLimit, 64);
  assert.deepEqual(info.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 10 });
  assert.equal((info.NetworkSettings.Ports as Record<string, Array<{ HostIp: string }>>)['5000/tcp']?.[0]?.HostIp, '127.0.0.1');
  assert.ok(info.Config.Env.includes('PORT=5000') && info.Config.Env.includes('DYNO=web.1'));
});

test('two apps of one platform cannot reach each other\'s containers directly: only through the router', async (t) => {
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('neta', 1, await p.image('neta', 1), { web: [webCommand, 1] }), () => {});
  const info = await docker.getContainer((await p.runtime.status('neta'))[0]!.name!).inspect();
  assert.equal(info.HostConfig.NetworkMode, networkName(p.platform));
  const ip = info.NetworkSettings.Networks[networkName(p.platform)]?.IPAddress;
  assert.ok(ip, 'web has an address on the platform network');
  // The host reaches it there (web listens on that address), so a refusal below is the network's, not an idle port.
  assert.equal(await hostGet(`http://${ip}:5000/`), 'v1\n');
  // busybox nc, not wget: this static busybox's wget crashes (its libc's resolver) even for an address.
  const out: string[] = [];
  const code = await p.runtime.runOneOff({
    spec: spec('netb', 1, await p.image('netb', 1), { web: [webCommand, 1] }), command: `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 ${ip} 5000`,
    onLine: (l) => out.push(l), signal: new AbortController().signal, timeoutMs: 30_000,
  });
  assert.notEqual(code, 0, out.join('\n'));
  assert.ok(!out.includes('v1'), out.join('\n'));
  assert.equal((await viaRouter(p.routerPort, 'neta')).body, 'v1\n');
});

test('v1 → v2 switches, and a restart replaces web, without a failed request; the old containers go', async (t) => {
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('zdt', 1, await p.image('zdt', 1), { web: [webCommand, 1] }), () => {});
  const v1 = (await p.runtime.status('zdt'))[0]!.name;
  let failures = 0;
  let running = true;
  const bodies = new Set<string>();
  const load = (async () => {
    while (running) {
      const r = await viaRouter(p.routerPort, 'zdt').catch(() => ({ status: 0, body: '' }));
      if (r.status !== 200) failures++;
      else bodies.add(r.body);
    }
  })();
  await p.runtime.deploy(spec('zdt', 2, await p.image('zdt', 2), { web: [webCommand, 1] }), () => {});
  const v2 = (await p.runtime.status('zdt'))[0]!.name;
  await p.runtime.restart('zdt', 'web');
  running = false;
  await load;
  assert.equal(failures, 0);
  assert.equal((await viaRouter(p.routerPort, 'zdt')).body, 'v2\n');
  const names = (await p.runtime.status('zdt')).map((s) => s.name);
  assert.equal(names.length, 1);
  assert.notEqual(names[0], v1);
  await assert.rejects(docker.getContainer(v1!).inspect(), { statusCode: 404 });
  await assert.rejects(docker.getContainer(v2!).inspect(), { statusCode: 404 });
});

test('a web container that exits during boot fails the deploy with its last lines; v1 keeps serving', async (t) => {
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('boom', 1, await p.image('boom', 1), { web: [webCommand, 1] }), () => {});
  const lines: string[] = [];
  const err = await p.runtime.deploy(spec('boom', 2, await p.image('boom', 2), { web: ['echo starting; echo "cannot bind" >&2; exit 1', 1] }), (l) => lines.push(l))
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ReleaseBootError, String(err));
  assert.equal(err.code, 'E_RELEASE_BOOT_FAILED');
  assert.match(err.message, /exited with code 1/);
  // Its own output, both streams (the Engine may order two lines of two streams either way).
  assert.deepEqual([...new Set(err.lastLines)].sort(), ['cannot bind', 'starting']);
  assert.equal((await viaRouter(p.routerPort, 'boom')).body, 'v1\n');
  const versions = (await p.runtime.status('boom')).map((s) => s.version);
  assert.deepEqual(versions, [1], 'the failed release left no container');
});

test('the release phase runs in a one-off container of the image, writes to /app, and a failure stops the deploy', async (t) => {
  const p = await dockerPlatform(t, base);
  const s = spec('rel', 1, await p.image('rel', 1), { web: [webCommand, 1] });
  const lines: string[] = [];
  await p.runtime.runRelease(s, 'touch /app/release.test && ls /app && echo "release of $RELEASE_VERSION as $(id -u)"', (l) => lines.push(l));
  assert.deepEqual(lines, ['-----> Running release command: touch /app/release.test && ls /app && echo "release of $RELEASE_VERSION as $(id -u)"',
    '       index.html', '       release.test', '       release of v1 as 1000']);
  const failed: string[] = [];
  await assert.rejects(p.runtime.runRelease(s, 'echo migration failed; exit 4', (l) => failed.push(l)), { code: 'E_RELEASE_BOOT_FAILED', message: /exit 4/ });
  assert.ok(failed.includes('       migration failed'));
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${p.platform}`] } }), [], 'one-off containers are removed');
});

test('an app.json script runs as the release phase does, named by its label, and is stopped at PAAS_RELEASE_TIMEOUT_SECONDS', async (t) => {
  const p = await dockerPlatform(t, base, { releaseTimeoutSeconds: 2 });
  const s = spec('relhang', 1, await p.image('relhang', 1), { web: [webCommand, 1] });
  const lines: string[] = [];
  await assert.rejects(p.runtime.runRelease(s, 'echo hanging; sleep 600', (l) => lines.push(l), undefined, 'postdeploy script'),
    { code: 'E_RELEASE_BOOT_FAILED', message: 'postdeploy script did not finish within 2 s and was stopped (PAAS_RELEASE_TIMEOUT_SECONDS)' });
  assert.deepEqual(lines, ['-----> Running postdeploy script: echo hanging; sleep 600', '       hanging']);
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${p.platform}`] } }), [], 'the stopped container is removed');
});

test('a one-off returns its exit code and output, and an abort kills and removes it', async (t) => {
  const p = await dockerPlatform(t, base);
  const s = spec('once', 1, await p.image('once', 1), { web: [webCommand, 1] });
  const out: string[] = [];
  const code = await p.runtime.runOneOff({ spec: s, command: 'echo out; echo err >&2; exit 7', onLine: (l, stream) => out.push(`${stream}:${l}`), signal: new AbortController().signal, timeoutMs: 30_000 });
  assert.equal(code, 7);
  assert.deepEqual(out.sort(), ['stderr:err', 'stdout:out']);
  const abort = new AbortController();
  const killed = await p.runtime.runOneOff({ spec: s, command: 'echo ready; exec sleep 600', onLine: (l) => { if (l === 'ready') abort.abort(); }, signal: abort.signal, timeoutMs: 30_000 });
  assert.equal(killed, 137);
  const timedOut = await p.runtime.runOneOff({ spec: s, command: 'exec sleep 600', onLine: () => {}, signal: new AbortController().signal, timeoutMs: 300 });
  assert.equal(timedOut, 137);
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${p.platform}`] } }), []);
});

test('a one-off printing a 50 MB line without a newline relays it in pieces of at most 64 KiB', async (t) => {
  const p = await dockerPlatform(t, base);
  const s = spec('long', 1, await p.image('long', 1), { web: [webCommand, 1] });
  let pieces = 0;
  let bytes = 0;
  let longest = 0;
  const code = await p.runtime.runOneOff({ spec: s, command: "head -c 50000000 /dev/zero | tr '\\0' a", signal: new AbortController().signal, timeoutMs: 120_000,
    onLine: (l) => { pieces++; bytes += l.length; longest = Math.max(longest, Buffer.byteLength(l)); } });
  assert.equal(code, 0);
  assert.equal(bytes, 50_000_000);
  assert.ok(longest <= 64 * 1024, `a piece of ${longest} bytes`);
  assert.ok(pieces >= 50_000_000 / (64 * 1024), `${pieces} pieces`);
});

test('a one-off\'s output waits for a client that does not read (drain): the platform holds a bounded part of it', async (t) => {
  const p = await dockerPlatform(t, base);
  const s = spec('stall', 1, await p.image('stall', 1), { web: [webCommand, 1] });
  let bytes = 0;
  let stalled = false;
  // The client never drains; the run's timeout kills the container (the signal this test waits for).
  const code = await p.runtime.runOneOff({ spec: s, command: "tr '\\0' y < /dev/zero", signal: new AbortController().signal, timeoutMs: 3000,
    onLine: (l) => { bytes += l.length; }, drain: () => { if (stalled) return undefined; stalled = true; return new Promise<void>(() => {}); } });
  assert.equal(code, 137);
  // Unread, `tr` would have pushed hundreds of MB in 3 s; the pipe and socket buffers hold a few MB at most.
  assert.ok(bytes < 16 * 1024 * 1024, `${bytes} bytes relayed to a client that read none`);
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${p.platform}`] } }), []);
});

test('a one-off or release command the Engine cannot start (no /bin/sh in the image) exits 127 with the Engine\'s message', async (t) => {
  const p = await dockerPlatform(t, base);
  const image = await makeShelllessImage((fn) => t.after(fn));
  const s = spec('nosh', 1, image, { web: [webCommand, 1] });
  const out: string[] = [];
  const code = await p.runtime.runOneOff({ spec: s, command: 'echo hi', onLine: (l, stream) => out.push(`${stream}:${l}`), signal: new AbortController().signal, timeoutMs: 30_000 });
  assert.equal(code, 127);
  assert.ok(out.some((l) => l.startsWith('stderr:The container could not start: ') && l.includes('/bin/sh')), out.join('\n'));
  const said: string[] = [];
  await assert.rejects(p.runtime.runRelease(s, 'echo hi', (l) => said.push(l), undefined, 'postdeploy script'), { code: 'E_RELEASE_BOOT_FAILED', message: 'postdeploy script failed (exit 127)' });
  assert.equal(said[0], '-----> Running postdeploy script: echo hi');
  assert.ok(said.some((l) => l.includes('/bin/sh')), said.join('\n'));
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${p.platform}`] } }), []);
});

test('scale adds and removes containers (web routed), restart replaces them, and their output reaches the app log', async (t) => {
  const p = await dockerPlatform(t, base);
  const s = spec('sc', 1, await p.image('sc', 1), { web: [webCommand, 1], worker: ['echo "worker of $DYNO"; exec sleep 600', 1] });
  await p.runtime.deploy(s, () => {});
  await p.runtime.scale('sc', { web: 2, worker: 0 });
  let st = await p.runtime.status('sc');
  assert.deepEqual(st.map((x) => `${x.type}.${x.index}:${x.state}`), ['web.1:up', 'web.2:up']);
  await p.runtime.scale('sc', { web: 1, worker: 1 });
  st = await p.runtime.status('sc');
  assert.deepEqual(st.map((x) => `${x.type}.${x.index}`), ['web.1', 'worker.1']);
  const before = new Set(st.map((x) => x.name));
  const said: string[] = [];
  await p.runtime.restart('sc', undefined, (l) => said.push(l));
  st = await p.runtime.status('sc');
  assert.deepEqual(st.map((x) => `${x.type}.${x.index}:${x.state}`), ['web.1:up', 'worker.1:up']);
  assert.ok(st.every((x) => !before.has(x.name)), 'every container was replaced');
  assert.equal((await viaRouter(p.routerPort, 'sc')).body, 'v1\n');
  await assert.rejects(p.runtime.scale('sc', { clock: 1 }), { code: 'E_PROCESS_TYPE_UNKNOWN' });
  await waitFor(() => fs.readFileSync(appLogFile(p.dataDir, 'sc'), 'utf8').includes('app[worker.1]: worker of worker.1'), 10_000, 'the worker line in the app log');
});

test('app.json startup checks gate a web container: one that answers without the expected content fails the deploy', async (t) => {
  const p = await dockerPlatform(t, base);
  const healthchecks = [{ name: 'ready', path: '/', content: 'ready', attempts: 2, waitSeconds: 0.2, timeoutSeconds: 2, initialDelaySeconds: 0 }];
  await assert.rejects(p.runtime.deploy(spec('hc', 1, await p.image('hc', 1), { web: [webCommand, 1] }, { healthchecks }), () => {}),
    { code: 'E_RELEASE_BOOT_FAILED', message: /startup check "ready" \(GET \/\) failed after 2 attempts: HTTP 200 without the expected content "ready"/ });
  assert.deepEqual(await p.runtime.status('hc'), []);
  await p.runtime.deploy(spec('hc', 2, await p.image('hc', 2), { web: [webCommand, 1] }, { healthchecks: [{ ...healthchecks[0]!, content: 'v2', attempts: 20 }] }), () => {});
  assert.equal((await viaRouter(p.routerPort, 'hc')).body, 'v2\n');
});

/** GET url from this host; resolves with the body. */
function hostGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}
