// runtime/router.test.ts — the Host-header router against real in-process HTTP backends on port 0: routing, errors, headers, bodies, websockets.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { Router, toHostName } from './router.ts';
import { request } from '../test/support/local-runtime.ts';

/** An HTTP backend on a free port, closed after the test. */
async function backend(t: TestContext, handler: http.RequestListener): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, server };
}

async function startRouter(t: TestContext): Promise<{ router: Router; port: number }> {
  const router = new Router({ baseDomain: 'localhost' });
  const port = await router.listen(0, '127.0.0.1');
  t.after(() => router.close());
  return { router, port };
}

test('toHostName strips the port and case', () => {
  assert.equal(toHostName('MyApp.LocalHost:8080'), 'myapp.localhost');
  assert.equal(toHostName('example.com.'), 'example.com');
  assert.equal(toHostName('[::1]:80'), '[::1]');
  assert.equal(toHostName(undefined), '');
});

test('unknown hosts get 404, apps without backends 503, dead backends 502', async (t) => {
  const { router, port } = await startRouter(t);
  const unknown = await request(port, 'nope.localhost:8080');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body, 'No app is served at nope.localhost.');
  assert.match(String(unknown.headers['content-type']), /^text\/plain/);
  assert.equal((await request(port, 'a.b.localhost')).status, 404);

  router.setRoute('myapp', []);
  const empty = await request(port, 'myapp.localhost');
  assert.equal(empty.status, 503);
  assert.equal(empty.body, 'myapp has no running web process.');

  const dead = await backend(t, () => {});
  await new Promise<void>((resolve) => dead.server.close(() => resolve()));
  router.setRoute('myapp', [dead.port]);
  const bad = await request(port, 'myapp.localhost');
  assert.equal(bad.status, 502);
  assert.match(bad.body, /ECONNREFUSED/);

  router.removeRoute('myapp');
  assert.equal((await request(port, 'myapp.localhost')).status, 404);
});

test('round-robins across backends and routes extra domains', async (t) => {
  const { router, port } = await startRouter(t);
  const a = await backend(t, (_req, res) => res.end('a'));
  const b = await backend(t, (_req, res) => res.end('b'));
  router.setRoute('myapp', [a.port, b.port]);
  router.setDomains('myapp', ['www.example.com']);
  const bodies = [];
  for (let i = 0; i < 4; i++) bodies.push((await request(port, 'myapp.localhost')).body);
  assert.deepEqual(bodies.sort(), ['a', 'a', 'b', 'b']);
  assert.equal((await request(port, 'WWW.Example.com:8080')).status, 200);

  router.setDomains('myapp', ['shop.example.com']);
  assert.equal((await request(port, 'www.example.com')).status, 404);
  assert.equal((await request(port, 'shop.example.com')).status, 200);
  router.setRoute('myapp', [a.port]);
  assert.equal((await request(port, 'shop.example.com')).body, 'a', 'setRoute keeps the domains');
});

test("a custom domain never overrides another app's <app>.<base domain> host", async (t) => {
  const { router, port } = await startRouter(t);
  const victim = await backend(t, (_req, res) => res.end('victim'));
  const thief = await backend(t, (_req, res) => res.end('thief'));
  router.setRoute('victim', [victim.port]);
  router.setRoute('thief', [thief.port]);
  router.setDomains('thief', ['victim.localhost', 'www.thief.example']);
  assert.equal((await request(port, 'victim.localhost')).body, 'victim');
  assert.equal((await request(port, 'www.thief.example')).body, 'thief');
});

test('proxies method, path, headers and bodies both ways, adding X-Forwarded-*', async (t) => {
  const { router, port } = await startRouter(t);
  const echo = await backend(t, (req, res) => {
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.setHeader('x-seen', JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    req.pipe(res);
  });
  router.setRoute('myapp', [echo.port]);
  const body = 'x'.repeat(200_000);
  const reply = await request(port, 'myapp.localhost:8080', {
    method: 'PUT',
    path: '/things?id=7',
    body,
    headers: { 'x-custom': 'yes', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https' },
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, body);
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  const seen = JSON.parse(String(reply.headers['x-seen'])) as { method: string; url: string; headers: Record<string, string> };
  assert.equal(seen.method, 'PUT');
  assert.equal(seen.url, '/things?id=7');
  assert.equal(seen.headers['x-custom'], 'yes');
  assert.equal(seen.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http', 'the edge decides the proto, not the client');
  assert.equal(seen.headers['x-forwarded-host'], 'myapp.localhost:8080');
  assert.equal(seen.headers['x-forwarded-port'], String(port));
});

test('survives clients that hang up mid-response, and drain() waits for in-flight requests', async (t) => {
  const { router, port } = await startRouter(t);
  const events = new EventEmitter();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finished = 0;
  const slow = await backend(t, (_req, res) => {
    res.write('partial');
    res.on('finish', () => (finished += 1));
    res.on('close', () => events.emit('closed', res.writableFinished));
    events.emit('arrived');
    void gate.then(() => res.end('done'));
  });
  router.setRoute('myapp', [slow.port]);

  const closed = once(events, 'closed');
  const req = http.get({ host: '127.0.0.1', port, headers: { host: 'myapp.localhost' }, agent: false }, (res) => {
    res.once('data', () => req.destroy());
  });
  req.on('error', () => {});
  assert.deepEqual(await closed, [false], 'the router hangs up on the backend when the client goes');

  const arrived = once(events, 'arrived');
  const inFlight = request(port, 'myapp.localhost');
  await arrived;
  const draining = router.drain([slow.port], 10_000).then(() => finished);
  release();
  assert.equal((await inFlight).body, 'partialdone');
  assert.equal(await draining, 1, 'drain resolved only after the in-flight response was complete');
});

test('passes websocket upgrades through as raw bytes', async (t) => {
  const { router, port } = await startRouter(t);
  const ws = await backend(t, (_req, res) => res.end());
  ws.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Path: ${req.url}\r\n\r\n`);
    socket.pipe(socket);
  });
  router.setRoute('myapp', [ws.port]);

  const { res, socket } = await new Promise<{ res: http.IncomingMessage; socket: Duplex }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/live', agent: false, headers: { host: 'myapp.localhost', connection: 'Upgrade', upgrade: 'echo' } });
    req.on('upgrade', (res, socket) => resolve({ res, socket }));
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  t.after(() => socket.destroy());
  assert.equal(res.statusCode, 101);
  assert.equal(res.headers['x-path'], '/live');
  const echoed = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
  socket.write('ping');
  assert.equal(await echoed, 'ping');

  const refused = await new Promise<number>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, agent: false, headers: { host: 'other.localhost', connection: 'Upgrade', upgrade: 'echo' } });
    req.on('response', (r) => resolve(r.statusCode ?? 0));
    req.end();
  });
  assert.equal(refused, 404);
});

test('traffic counters survive a redeploy\'s removeRoute, and are dropped by forgetApp (apps:destroy): a re-created app starts from 0', async (t) => {
  const { router, port } = await startRouter(t);
  const app = await backend(t, (_req, res) => res.end('ok'));
  const served = async () => (await router.stats()).apps.myapp?.responses['2xx'];
  router.setRoute('myapp', [app.port]);
  assert.equal((await request(port, 'myapp.localhost')).status, 200);
  assert.equal((await request(port, 'myapp.localhost')).status, 200);
  assert.equal(await served(), 2);
  router.removeRoute('myapp'); // a redeploy or a scale to zero web processes: the app still exists
  router.setRoute('myapp', [app.port]);
  assert.equal((await request(port, 'myapp.localhost')).status, 200);
  assert.equal(await served(), 3, 'counters kept across removeRoute');
  router.removeRoute('myapp');
  router.forgetApp('myapp'); // apps:destroy
  assert.equal(await served(), undefined, 'a destroyed app has no counters');
  router.setRoute('myapp', [app.port]); // created again under the same name
  assert.equal((await request(port, 'myapp.localhost')).status, 200);
  assert.equal(await served(), 1);
});
