// runtime/router-tls.test.ts — the router's HTTPS side over real sockets: SNI picks the certificate (exact, then
// wildcard; none fails the handshake), X-Forwarded-Proto is https, HSTS only on TLS, the HTTP→HTTPS redirect, and
// ACME HTTP-01 challenges answered before routing. Certificates are self-signed by the real openssl.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { Router } from './router.ts';
import { rawGet, RawClient } from '../test/support/raw-http.ts';
import { request } from '../test/support/local-runtime.ts';
import { selfSignedPem } from '../test/support/pebble.ts';

/** A self-signed certificate (P-256) for the given DNS names. */
function selfSigned(t: TestContext, names: string[]): Promise<{ cert: string; key: string }> {
  return selfSignedPem(t, names.map((n) => `DNS:${n}`).join(','), names[0]);
}

/** A router with HTTP and HTTPS listeners in front of one app ("shop") that echoes what it was sent. */
async function startRouter(t: TestContext): Promise<{ router: Router; port: number; tlsPort: number }> {
  const app = http.createServer((req, res) => res.end(JSON.stringify({ url: req.url, proto: req.headers['x-forwarded-proto'] })));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const router = new Router({ baseDomain: 'localhost' });
  const port = await router.listen(0, '127.0.0.1');
  const tlsPort = await router.listenTls(0, '127.0.0.1');
  router.setRoute('shop', [(app.address() as AddressInfo).port]);
  t.after(async () => {
    await router.close();
    app.closeAllConnections();
    await new Promise<void>((resolve) => app.close(() => resolve()));
  });
  return { router, port, tlsPort };
}

/** A TLS connection to the router that trusts `ca`, with SNI `servername`; rejects when the handshake fails. */
function connectTls(port: number, servername: string, ca: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername, ca }, () => resolve(new RawClient(socket)));
    socket.once('error', reject);
  });
}

test('HTTPS: SNI picks the exact or wildcard certificate, unknown or missing SNI fails the handshake, the app sees https', async (t) => {
  const { router, tlsPort } = await startRouter(t);
  const exact = await selfSigned(t, ['shop.localhost']);
  const wild = await selfSigned(t, ['*.example.test']);
  router.setCertificate('shop.localhost', exact);
  router.setCertificate('*.example.test', wild);
  router.setDomains('shop', ['www.example.test']);

  const c = await connectTls(tlsPort, 'shop.localhost', exact.cert);
  t.after(() => c.close());
  const [r] = await c.send(rawGet('shop.localhost', '/x'));
  assert.deepEqual(JSON.parse(r!.body), { url: '/x', proto: 'https' });
  assert.equal(r!.headers['strict-transport-security'], undefined, 'HSTS is off by default');

  const w = await connectTls(tlsPort, 'www.example.test', wild.cert);
  t.after(() => w.close());
  assert.equal((await w.send(rawGet('www.example.test')))[0]!.status, 200);

  await assert.rejects(connectTls(tlsPort, 'other.localhost', exact.cert), 'no certificate for that name');
  await assert.rejects(connectTls(tlsPort, '', exact.cert), 'no SNI, no certificate');
  router.setCertificate('shop.localhost', undefined);
  await assert.rejects(connectTls(tlsPort, 'shop.localhost', exact.cert), 'a removed certificate is no longer served');
});

test('HSTS is added on HTTPS responses of an app that asks for it, never on plain HTTP', async (t) => {
  const { router, port, tlsPort } = await startRouter(t);
  const pem = await selfSigned(t, ['shop.localhost']);
  router.setCertificate('shop.localhost', pem);
  router.setAppOptions('shop', { redirectHttps: false, hsts: true });
  const c = await connectTls(tlsPort, 'shop.localhost', pem.cert);
  t.after(() => c.close());
  const [r] = await c.send(rawGet('shop.localhost'));
  assert.equal(r!.headers['strict-transport-security'], 'max-age=31536000');
  assert.equal(JSON.parse(r!.body).proto, 'https');
  const plain = await request(port, 'shop.localhost');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['strict-transport-security'], undefined);
});

test('plain HTTP is redirected to HTTPS (308) for an app with redirect on and a certificate; ACME challenges are answered first', async (t) => {
  const { router, port, tlsPort } = await startRouter(t);
  router.setChallenge('tok-1', 'tok-1.thumbprint');
  router.setAppOptions('shop', { redirectHttps: true, hsts: false });
  assert.equal((await request(port, 'shop.localhost')).status, 200, 'no certificate yet: no redirect');

  router.setCertificate('shop.localhost', await selfSigned(t, ['shop.localhost']));
  const r = await request(port, 'shop.localhost:8080', { path: '/a/b?c=1' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://shop.localhost:${tlsPort}/a/b?c=1`);
  // A redirected request with a body is answered and its connection closed: still counted, once.
  assert.equal((await request(port, 'shop.localhost', { method: 'POST', body: 'x' })).status, 308);
  assert.equal((await router.stats()).apps.shop!.responses['3xx'], 2);

  for (const host of ['shop.localhost', 'anything.example']) {
    const ch = await request(port, host, { path: '/.well-known/acme-challenge/tok-1' });
    assert.equal(ch.status, 200, host);
    assert.equal(ch.body, 'tok-1.thumbprint');
    assert.match(String(ch.headers['content-type']), /^text\/plain/);
  }
  assert.equal((await request(port, 'shop.localhost', { path: '/.well-known/acme-challenge/nope' })).status, 404);
  router.setChallenge('tok-1', undefined);
  assert.equal((await request(port, 'anything.example', { path: '/.well-known/acme-challenge/tok-1' })).status, 404);
});
