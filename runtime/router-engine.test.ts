// runtime/router-engine.test.ts — the router's engine over real sockets on 127.0.0.1: pipelining, a Host switch on one
// connection, backend switches at setRoute with idle and busy keep-alive connections, the retry after an idle upstream
// hangs up, the 504 deadline, smuggling attempts, stats, and the worker's restart after it dies.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { DEFAULT_HTTP_LIMITS } from '../core/http-limits.ts';
import { Router, type RouterOptions } from './router.ts';
import { UPSTREAM_IDLE_MS } from './router/edge.ts';
import { rawGet, RawClient } from '../test/support/raw-http.ts';
import { request, waitFor } from '../test/support/local-runtime.ts';

/** An HTTP backend answering `label` (and the path), counting its open connections; closed after the test. */
async function backend(t: TestContext, label: string, handler?: http.RequestListener): Promise<{ port: number; server: http.Server; open: () => number }> {
  const server = http.createServer(handler ?? ((req, res) => res.end(`${label} ${req.url}`)));
  let open = 0;
  server.on('connection', (s: net.Socket) => { open++; s.on('close', () => open--); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); return new Promise<void>((resolve) => server.close(() => resolve())); });
  return { port: (server.address() as AddressInfo).port, server, open: () => open };
}

async function startRouter(t: TestContext, opts: Partial<RouterOptions> = {}): Promise<{ router: Router; port: number; client: () => Promise<RawClient> }> {
  const router = new Router({ baseDomain: 'localhost', ...opts });
  const port = await router.listen(0, '127.0.0.1');
  t.after(() => router.close());
  const client = async () => {
    const c = await RawClient.connect(port);
    t.after(() => c.close());
    return c;
  };
  return { router, port, client };
}

test('pipelined requests in one write are answered in order, bodies included', async (t) => {
  const { router, client } = await startRouter(t);
  const a = await backend(t, 'a', (req, res) => { let body = ''; req.on('data', (c: Buffer) => (body += c)); req.on('end', () => res.end(`${req.method} ${req.url} ${body}`)); });
  router.setRoute('a', [a.port]);
  const c = await client();
  const post = 'POST /2 HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 5\r\n\r\nhello';
  const chunked = 'POST /3 HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  const replies = await c.send(rawGet('a.localhost', '/1') + post + chunked + rawGet('nope.localhost', '/4') + rawGet('a.localhost', '/5'), 5);
  assert.deepEqual(replies.map((r) => `${r.status} ${r.body}`), ['200 GET /1 ', '200 POST /2 hello', '200 POST /3 abc', '404 No app is served at nope.localhost.', '200 GET /5 ']);
});

test('bodiless responses (HEAD, 204, 304) and 100-continue keep one keep-alive connection to the app', async (t) => {
  const { router, client } = await startRouter(t);
  const a = await backend(t, 'a', (req, res) => {
    if (req.url === '/204') res.writeHead(204).end();
    else if (req.url === '/304') res.writeHead(304).end();
    else req.resume().on('end', () => res.end(`${req.method} ${req.url}`));
  });
  router.setRoute('a', [a.port]);
  const c = await client();
  const head = (await c.send('HEAD /h HTTP/1.1\r\nHost: a.localhost\r\n\r\n'))[0]!;
  assert.equal(head.status, 200);
  c.socket.write('POST /c HTTP/1.1\r\nHost: a.localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
  assert.equal((await c.send(''))[0]!.status, 100);
  const replies = await c.send('ok' + rawGet('a.localhost', '/204') + rawGet('a.localhost', '/304') + rawGet('a.localhost', '/last'), 4);
  assert.deepEqual(replies.map((r) => r.status), [200, 204, 304, 200]);
  assert.equal(replies[3]!.body, 'GET /last');
  assert.equal(a.open(), 1, 'one upstream connection carried them all');
});

test('one connection switches apps when the Host changes, and backends when setRoute moves the app (idle upstream)', async (t) => {
  const { router, client } = await startRouter(t);
  const a = await backend(t, 'a');
  const b = await backend(t, 'b');
  const b2 = await backend(t, 'b2');
  router.setRoute('a', [a.port]);
  router.setRoute('b', [b.port]);
  const c = await client();
  const bodies = [];
  for (const host of ['a', 'b', 'a', 'b']) bodies.push((await c.send(rawGet(`${host}.localhost`)))[0]!.body);
  assert.deepEqual(bodies, ['a /', 'b /', 'a /', 'b /']);
  router.setRoute('b', [b2.port]);
  await router.drain([b.port], 5000);
  await waitFor('the idle upstream to the old backend to close', () => b.open() === 0);
  assert.equal((await c.send(rawGet('b.localhost')))[0]!.body, 'b2 /', 'the same client connection reaches the new backend');
});

test('setRoute during a response on a keep-alive connection: the response completes, drain waits for it, the next request goes to the new backend', async (t) => {
  const { router, client } = await startRouter(t);
  let release = (): void => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrive = (): void => {};
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const old = await backend(t, 'old', (_req, res) => { arrive(); void gate.then(() => res.end('old done')); });
  const next = await backend(t, 'new');
  router.setRoute('app', [old.port]);
  const c = await client();
  const first = c.send(rawGet('app.localhost'));
  await arrived;
  router.setRoute('app', [next.port]);
  let drained = false;
  const draining = router.drain([old.port], 10_000).then(() => { drained = true; });
  const stats = await router.stats(); // a round trip to the engine: the drain has been registered
  assert.equal(stats.openConnections, 1);
  assert.equal(drained, false, 'drain waits for the in-flight response');
  release();
  assert.equal((await first)[0]!.body, 'old done');
  await draining;
  assert.equal((await c.send(rawGet('app.localhost')))[0]!.body, 'new /');
  await waitFor('the old upstream to close', () => old.open() === 0);
});

test('releases switched under steady keep-alive load, each old one drained then stopped, fail no request', async (t) => {
  const { router, client } = await startRouter(t);
  const stop = async (b: { server: http.Server }) => {
    b.server.closeAllConnections();
    await new Promise<void>((resolve) => b.server.close(() => resolve()));
  };
  let current = await backend(t, 'v0');
  router.setRoute('app', [current.port]);
  let running = true;
  const statuses = new Map<number, number>();
  const load = Array.from({ length: 8 }, async () => {
    const c = await client();
    while (running) {
      const [r] = await c.send(rawGet('app.localhost'));
      statuses.set(r!.status, (statuses.get(r!.status) ?? 0) + 1);
    }
  });
  const served = () => [...statuses.values()].reduce((a, b) => a + b, 0);
  for (let v = 1; v <= 5; v++) {
    const before = served();
    await waitFor('40 more answers under load', () => served() >= before + 40);
    const next = await backend(t, `v${v}`);
    router.setRoute('app', [next.port]);
    await router.drain([current.port], 5000);
    await stop(current); // an old release stops: any request still routed to it would fail
    current = next;
  }
  running = false;
  await Promise.all(load);
  assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify([...statuses])}`);
  assert.ok(statuses.get(200)! >= 200, `${statuses.get(200)} requests`);
});

test('an idle upstream the app closed as a request was sent is retried once for a GET; a POST gets 502', async (t) => {
  const { router, client } = await startRouter(t);
  // Answers one request per connection, then hangs up on the next one without answering (a keep-alive race).
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    let answered = 0;
    s.on('data', () => {
      if (answered++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else s.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  router.setRoute('app', [(server.address() as AddressInfo).port]);
  const c = await client();
  assert.equal((await c.send(rawGet('app.localhost')))[0]!.body, 'ok');
  assert.equal((await c.send(rawGet('app.localhost')))[0]!.body, 'ok', 'retried on a fresh connection');
  assert.equal(connections, 2);
  const post = (await c.send('POST / HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 1\r\n\r\nx'))[0]!;
  assert.equal(post.status, 502);
  assert.match(post.body, /^Bad gateway: the app's web process did not answer/);
});

test('an idle upstream is closed after UPSTREAM_IDLE_MS while the client stays, and the next request reconnects', async (t) => {
  const { router, client } = await startRouter(t);
  const a = await backend(t, 'a');
  router.setRoute('a', [a.port]);
  const c = await client();
  assert.equal((await c.send(rawGet('a.localhost')))[0]!.body, 'a /');
  const idleSince = Date.now();
  await waitFor('the idle upstream to close', () => a.open() === 0, 10_000);
  assert.ok(Date.now() - idleSince >= UPSTREAM_IDLE_MS - 100, `closed after ${Date.now() - idleSince} ms`);
  assert.equal(c.closed, false, 'the client connection is kept');
  assert.equal((await c.send(rawGet('a.localhost', '/again')))[0]!.body, 'a /again');
});

test('an app that sends no response head within upstreamTimeoutMs gets the client a 504', async (t) => {
  const { router, port } = await startRouter(t, { upstreamTimeoutMs: 300 });
  const silent = await backend(t, 'silent', () => {});
  router.setRoute('slow', [silent.port]);
  const started = Date.now();
  const r = await request(port, 'slow.localhost');
  assert.equal(r.status, 504);
  assert.match(r.body, /^Gateway timeout/);
  assert.ok(Date.now() - started >= 250, `answered after ${Date.now() - started} ms`);
});

test("the platform's own route has no response deadline, and its hosts win over an app of the same name", async (t) => {
  const { router, port } = await startRouter(t, { upstreamTimeoutMs: 200 });
  const web = await backend(t, 'web', (req, res) => { setTimeout(() => res.end(`web ${req.url}`), 700); }); // a slow git push
  const app = await backend(t, 'paas');
  router.setRoute('paas', [app.port]);
  router.setPlatformRoute(['PAAS.localhost'], web.port, 'a'.repeat(64));
  const r = await request(port, 'paas.localhost', { path: '/git/info/refs' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'web /git/info/refs');
  const stats = await router.stats();
  assert.equal(stats.apps.paas, undefined, 'the platform is not counted as an app');
});

test('hostile: a client sending X-Paas-Router never gets it through; only requests to the platform carry the secret', async (t) => {
  const { router, port } = await startRouter(t);
  const echo: http.RequestListener = (req, res) => res.end(JSON.stringify({ mark: req.headers['x-paas-router'] ?? null, xff: req.headers['x-forwarded-for'] }));
  const web = await backend(t, 'web', echo);
  const app = await backend(t, 'shop', echo);
  router.setRoute('shop', [app.port]);
  const secret = 'b'.repeat(64);
  router.setPlatformRoute(['paas.test'], web.port, secret);
  const forged = { 'x-paas-router': 'forged', 'X-PAAS-ROUTER': 'forged-too', 'x-forwarded-for': '203.0.113.9' };
  const toApp = JSON.parse((await request(port, 'shop.localhost', { headers: forged })).body);
  assert.deepEqual(toApp, { mark: null, xff: '203.0.113.9, 127.0.0.1' }, 'an app never sees the header, forged or real');
  const toWeb = JSON.parse((await request(port, 'paas.test', { headers: forged })).body);
  assert.deepEqual(toWeb, { mark: secret, xff: '203.0.113.9, 127.0.0.1' }, 'the platform sees the router\'s secret only, and the address the router appended last');
  const plain = JSON.parse((await request(port, 'paas.test')).body);
  assert.equal(plain.mark, secret);
});

test('the response deadline counts from the end of the request body, so an upload longer than it is not cut', async (t) => {
  const { router, client } = await startRouter(t, { upstreamTimeoutMs: 300 });
  const a = await backend(t, 'a', (req, res) => { let n = 0; req.on('data', (c: Buffer) => (n += c.length)); req.on('end', () => res.end(`got ${n}`)); });
  router.setRoute('a', [a.port]);
  const c = await client();
  c.socket.write('POST / HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 8\r\n\r\n');
  for (let i = 0; i < 8; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100)); // a slow client: the body takes 800 ms
    c.socket.write('x');
  }
  const [r] = await c.send('');
  assert.equal(r!.status, 200);
  assert.equal(r!.body, 'got 8');
});

test('hostile smuggling attempts over a real socket get 400 and the connection closes, and nothing reaches the app', async (t) => {
  const { router, client } = await startRouter(t);
  let seen = 0;
  const a = await backend(t, 'a', (_req, res) => { seen++; res.end('a'); });
  router.setRoute('a', [a.port]);
  const attempts = [
    'POST / HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.localhost\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a.localhost\r\nX: 1\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\nHost: a.localhost\n\n',
    'POST / HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ];
  for (const bytes of attempts) {
    const c = await client();
    c.socket.write(bytes);
    const data = await c.untilClosed();
    assert.match(data, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(bytes));
    assert.match(data, /The request is not valid HTTP\.$/);
  }
  assert.equal(seen, 0);
});

test('hostile heads over a real socket: too many headers get 431', async (t) => {
  const { router, client } = await startRouter(t, { limits: { ...DEFAULT_HTTP_LIMITS, maxHeadersCount: 5 } });
  router.setRoute('a', [(await backend(t, 'a')).port]);
  const c = await client();
  c.socket.write(rawGet('a.localhost', '/', ['A: 1', 'B: 2', 'C: 3', 'D: 4', 'E: 5']));
  assert.match(await c.untilClosed(), /^HTTP\/1\.1 431 /);
});

test('stats count responses, latency and bytes per app, and unrouted requests', async (t) => {
  const { router, port } = await startRouter(t);
  const a = await backend(t, 'a', (req, res) => { res.statusCode = req.url === '/missing' ? 404 : 200; res.end('x'); });
  router.setRoute('a', [a.port]);
  router.setRoute('empty', []);
  for (const path of ['/', '/', '/missing']) await request(port, 'a.localhost', { path });
  await request(port, 'empty.localhost');
  await request(port, 'who.localhost');
  const stats = await router.stats();
  assert.deepEqual(stats.apps.a!.responses, { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0 });
  assert.equal(stats.apps.a!.latencyMs.count, 3);
  assert.equal(stats.apps.a!.latencyMs.counts.at(-1), 3, 'the histogram is cumulative');
  assert.ok(stats.apps.a!.bytesIn > 0 && stats.apps.a!.bytesOut > 0);
  assert.equal(stats.apps.empty!.responses['5xx'], 1);
  assert.equal(stats.unrouted, 1);
  assert.deepEqual(Object.keys(stats.apps).sort(), ['a', 'empty'], 'never keyed by host');
});

test('a request the router answers itself (404, 503) is counted once: held behind a response, or with a body and the connection closed', async (t) => {
  const { router, port, client } = await startRouter(t);
  router.setRoute('a', [(await backend(t, 'a')).port]);
  router.setRoute('empty', []);
  assert.equal((await request(port, 'who.localhost', { method: 'POST', body: 'hello' })).status, 404);
  assert.equal((await request(port, 'empty.localhost', { method: 'POST', body: 'hello' })).status, 503);
  const c = await client();
  const post = (host: string) => `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\n\r\nhello`;
  // The three after the first wait (held) for the app's response; the last, with a body, is answered, then the close.
  const replies = await c.send(rawGet('a.localhost', '/') + rawGet('who.localhost', '/') + rawGet('empty.localhost', '/') + post('who.localhost'), 4);
  assert.deepEqual(replies.map((r) => r.status), [200, 404, 503, 404]);
  await c.untilClosed();
  const stats = await router.stats();
  assert.equal(stats.unrouted, 3);
  assert.deepEqual(stats.apps.empty!.responses, { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 2 });
  assert.equal(stats.apps.empty!.latencyMs.count, 2);
});

test('a dead engine worker is restarted with the whole state and listens again on the same port', async (t) => {
  const errors: string[] = [];
  const { router, port } = await startRouter(t, { onError: (err) => errors.push(err.message) });
  const a = await backend(t, 'a');
  router.setRoute('a', [a.port]);
  router.setDomains('a', ['www.example.test']);
  assert.equal((await request(port, 'www.example.test')).body, 'a /');
  const worker = (router as unknown as { worker: { terminate(): Promise<number> } }).worker;
  await worker.terminate();
  const r = await waitFor('the router to answer again', () => request(port, 'www.example.test').catch(() => undefined));
  assert.equal(r.body, 'a /');
  assert.deepEqual(errors, ['router engine stopped unexpectedly; restarting it']);
});

test('a websocket outlives the upstream idle time: a tunnel is never idle-closed', async (t) => {
  const { router, port, client } = await startRouter(t);
  const ws = await backend(t, 'ws');
  ws.server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  router.setRoute('ws', [ws.port]);
  const tunnel = await RawClient.connect(port);
  t.after(() => tunnel.close());
  const [switched] = await tunnel.send('GET /live HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
  assert.equal(switched!.status, 101);
  // The signal that the idle sweep ran past the idle time: a keep-alive client's idle upstream is closed by it.
  const c = await client();
  assert.equal((await c.send(rawGet('ws.localhost')))[0]!.body, 'ws /');
  await waitFor('the keep-alive upstream to be idle-closed', () => ws.open() === 1, 10_000);
  const echoed = new Promise<string>((resolve) => tunnel.socket.once('data', (d: string) => resolve(d)));
  tunnel.socket.write('still here');
  assert.equal(await echoed, 'still here', 'the tunnel still carries bytes both ways');
});

test('hostile: a client that reads its answer and never closes is cut after the linger time', async (t) => {
  const { router, port } = await startRouter(t);
  const a = await backend(t, 'a');
  router.setRoute('a', [a.port]);
  const c = await RawClient.connect(port);
  t.after(() => c.close());
  c.socket.write('GET / HTTP/1.0\r\nHost: a.localhost\r\n\r\n'); // HTTP/1.0: the router closes after the answer
  const started = Date.now();
  const got = await c.untilClosed(); // the client never sends its FIN; the router does not wait for it
  assert.match(got, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\na \/$/);
  assert.ok(Date.now() - started < 15_000);
  assert.equal((await router.stats()).openConnections, 0);
});

test('the router answers HEAD with a head alone, so the next response on the connection is read right', async (t) => {
  const { port } = await startRouter(t);
  const c = await RawClient.connect(port);
  t.after(() => c.close());
  c.socket.write('HEAD / HTTP/1.1\r\nHost: nobody.localhost\r\n\r\nGET /x HTTP/1.1\r\nHost: nobody.localhost\r\nConnection: close\r\n\r\n');
  const got = await c.untilClosed();
  const heads = got.split('HTTP/1.1 404 Not Found\r\n');
  assert.equal(heads.length, 3, got);
  assert.ok(heads[1]!.endsWith('\r\n\r\n'), 'the HEAD answer has no body');
  assert.match(heads[2]!, /\r\n\r\nNo app is served at nobody\.localhost\.$/);
});

test('200 pipelined requests in one write are all answered, in order', async (t) => {
  const { router, port } = await startRouter(t);
  const a = await backend(t, 'a');
  router.setRoute('a', [a.port]);
  const c = await RawClient.connect(port);
  t.after(() => c.close());
  const requests = Array.from({ length: 200 }, (_, i) => rawGet('a.localhost', `/${i}`)).join('');
  const answers = await c.send(requests, 200);
  assert.deepEqual(answers.map((r) => r.body), Array.from({ length: 200 }, (_, i) => `a /${i}`));
});
