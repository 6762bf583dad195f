// runtime/acme.test.ts — the ACME client against a real pebble: account kept through the store, issuance over
// HTTP-01 (answered by a test responder standing in for the router), a failing challenge, and eligibility.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import tls from 'node:tls';
import { test } from 'node:test';
import { AcmeIssuer, acmeEligibility, type AcmeAccount } from './acme.ts';
import { startPebble } from '../test/support/pebble.ts';
import { startResponder } from '../test/support/challenge-responder.ts';

function memoryStore(): { store: { load(): Promise<AcmeAccount | undefined>; save(a: AcmeAccount): Promise<void> }; saved: AcmeAccount[] } {
  const saved: AcmeAccount[] = [];
  return { saved, store: { load: async () => saved[0], save: async (a) => { saved.push(a); } } };
}

test('pebble issues a certificate for a host over HTTP-01; it verifies against pebble\'s root and names the host', async (t) => {
  const responder = await startResponder(t);
  const pebble = await startPebble(t, { challengePort: responder.port });
  const { store, saved } = memoryStore();
  const issuer = new AcmeIssuer({ directory: pebble.directory, email: 'ops@example.com', caPem: pebble.caPem, store, sink: responder.sink });
  const cert = await issuer.order('shop.example.com');
  assert.equal(saved.length, 1, 'the new account is stored once');
  assert.match(saved[0]!.keyPem, /PRIVATE KEY/);
  assert.ok(responder.asked.some((h) => h.startsWith('shop.example.com')), 'pebble fetched the token for that host');
  const leaf = new crypto.X509Certificate(cert.certPem);
  assert.match(leaf.subjectAltName ?? '', /DNS:shop\.example\.com/);
  assert.ok(leaf.checkPrivateKey(crypto.createPrivateKey(cert.keyPem)));
  assert.equal(cert.expiresAt.getTime(), new Date(leaf.validTo).getTime());
  // The chain verifies against pebble's root, as a TLS client sees it.
  const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'shop.example.com', ca: pebble.rootPem }, () => { resolve(s.getPeerCertificate()); s.end(); });
    s.on('error', reject);
  });
  assert.match(peer.subjectaltname ?? '', /shop\.example\.com/);
  // A second issuer on the same store signs as the stored account (no second registration).
  const again = new AcmeIssuer({ directory: pebble.directory, email: 'ops@example.com', caPem: pebble.caPem, store, sink: responder.sink });
  await again.order('www.shop.example.com');
  assert.equal(saved.length, 1);
});

test('a challenge the responder answers with 404 fails the order with the CA\'s reason', async (t) => {
  const responder = await startResponder(t);
  const pebble = await startPebble(t, { challengePort: responder.port });
  responder.failing = true;
  const issuer = new AcmeIssuer({ directory: pebble.directory, email: 'ops@example.com', caPem: pebble.caPem, store: memoryStore().store, sink: responder.sink });
  await assert.rejects(issuer.order('broken.example.com'), (err: Error) => {
    assert.match(err.message, /404|unauthorized/i);
    return true;
  });
});

test('hosts no public CA issues for are not eligible, and are refused before any request', async () => {
  for (const host of ['x.localhost', 'localhost', '127.0.0.1', '[::1]', '10.0.0.1', 'intranet', '*.example.com', '2130706433']) {
    const e = acmeEligibility(host);
    assert.equal(e.eligible, false, host);
  }
  assert.deepEqual(acmeEligibility('shop.example.com'), { eligible: true });
  const issuer = new AcmeIssuer({
    directory: 'https://127.0.0.1:1/dir', email: 'ops@example.com',
    store: { load: async () => { throw new Error('no request may be made'); }, save: async () => undefined },
    sink: { set: () => undefined, remove: () => undefined },
  });
  await assert.rejects(issuer.order('app.localhost'), /cannot get an ACME certificate: localhost names/);
});
