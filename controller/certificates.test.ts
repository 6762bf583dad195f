// controller/certificates.test.ts — the CertificateManager against a real pebble and PostgreSQL: issuance on first
// deploy and for a domain added later, a failing challenge (failed state, reason, backoff), renewal, the platform's
// host, ineligible hosts never ordered, and an upload served only for its own app's hosts.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { CertificateManager, type Issuer } from './certificates.ts';
import type { IssuedCertificate } from '../runtime/acme.ts';
import { addCertificate } from '../services/certs.ts';
import { routerSecret } from '../core/router-secret.ts';
import { releaseAppCertificates } from '../services/cert-store.ts';
import { loadConfig, type Config } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { startPebble, selfSigned, type Pebble } from '../test/support/pebble.ts';
import { startResponder, type ChallengeResponder } from '../test/support/challenge-responder.ts';
import { deployedApp, recordingRouter, type RecordingRouter } from '../test/support/cert-apps.ts';

const log = createLogger('silent');
const DAY = 24 * 60 * 60 * 1000;

interface Stand { db: Knex; config: Config; router: RecordingRouter; responder: ChallengeResponder; pebble: Pebble }

async function stand(t: TestContext, env: Record<string, string> = {}): Promise<Stand | undefined> {
  const db = await openTestSchema(t, 'certs');
  if (!db) return undefined;
  const responder = await startResponder(t);
  const pebble = await startPebble(t, { challengePort: responder.port });
  const config = loadConfig({
    PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DASHBOARD_HOST: 'paas.example.net', PAAS_ROUTER_TLS_PORT: '0',
    PAAS_ACME_EMAIL: 'ops@example.com', PAAS_ACME_DIRECTORY: pebble.directory, PAAS_ACME_CA_FILE: pebble.caFile, ...env,
  });
  return { db, config, router: recordingRouter(responder.sink), responder, pebble };
}

function manager(t: TestContext, s: Pick<Stand, 'db' | 'config' | 'router'>, extra: Partial<ConstructorParameters<typeof CertificateManager>[0]> = {}): CertificateManager {
  const m = new CertificateManager({ db: s.db, config: s.config, router: s.router, log, ...extra });
  t.after(() => m.stop());
  return m;
}

function assertIssuedFor(s: Stand, host: string): void {
  const pem = s.router.certs.get(host);
  assert.ok(pem, `the router serves a certificate for ${host}`);
  const leaf = new crypto.X509Certificate(pem.cert);
  assert.match(leaf.subjectAltName ?? '', new RegExp(`DNS:${host.replace(/\./g, '\\.')}`));
  const issuer = new crypto.X509Certificate(pem.cert.split(/(?=-----BEGIN CERTIFICATE-----)/)[1]!);
  assert.ok(leaf.verify(issuer.publicKey) && issuer.verify(new crypto.X509Certificate(s.pebble.rootPem).publicKey), 'the chain leads to pebble\'s root');
  assert.ok(leaf.checkPrivateKey(crypto.createPrivateKey(pem.key)));
}

test('a deployed app gets a certificate for its host from pebble, and a custom domain added later gets one too', async (t) => {
  const s = await stand(t);
  if (!s) return;
  const appId = await deployedApp(s.db, 'shop');
  const m = manager(t, s);
  await m.start();
  await m.idle();
  assertIssuedFor(s, 'shop.apps.example.com');
  const row = await s.db('certificates').where({ host: 'shop.apps.example.com' }).first();
  assert.equal(row.state, 'issued');
  assert.equal(row.app_id, appId);
  assert.ok(row.expires_at > new Date(Date.now() + 30 * DAY));
  assert.equal((await s.db('acme_accounts').select('*')).length, 1, 'the account is kept');
  await s.db('domains').insert({ hostname: 'www.shop-example.org', app_id: appId });
  await m.syncApp('shop');
  await m.idle();
  assertIssuedFor(s, 'www.shop-example.org');
  // The domain is removed: its certificate leaves the router; its row is kept, released, for the host's return.
  const www = { hostname: 'www.shop-example.org', app_id: appId };
  await s.db('domains').where(www).delete();
  await m.syncApp('shop');
  assert.equal(s.router.certs.has('www.shop-example.org'), false);
  const released = await s.db('certificates').where({ host: 'www.shop-example.org' }).first();
  assert.equal(released.app_id, null);
  assert.ok(released.released_at, 'released, not deleted');
  // Removed and added again (a tenant toggling a domain): the kept certificate is served again and nothing is ordered.
  await s.db('domains').insert(www);
  await m.syncApp('shop');
  assert.equal(s.router.certs.get('www.shop-example.org')?.cert, released.cert_pem, 'served again at once');
  await m.idle();
  const back = await s.db('certificates').where({ host: 'www.shop-example.org' }).first();
  assert.deepEqual([back.app_id, back.released_at, back.cert_pem, back.updated_at.getTime()], [appId, null, released.cert_pem, released.updated_at.getTime()]);
  // The app is destroyed (as apps:destroy does it): nothing of it stays in the router; its rows are released.
  await releaseAppCertificates(s.db, appId);
  await s.db('apps').where({ id: appId }).delete();
  await m.syncApp('shop');
  assert.equal(s.router.certs.size, 0);
  assert.equal(await s.db('certificates').whereNull('released_at').count({ n: '*' }).first().then((r) => Number(r?.n)), 0);
});

test('a challenge that cannot be met leaves the host failed with the reason and a later retry, doubling each time', async (t) => {
  const s = await stand(t);
  if (!s) return;
  s.responder.failing = true;
  await deployedApp(s.db, 'broken');
  let now = new Date('2030-01-01T00:00:00Z');
  const m = manager(t, s, { now: () => now, backoffBaseMs: 60_000 });
  await m.start();
  await m.idle();
  const host = 'broken.apps.example.com';
  let row = await s.db('certificates').where({ host }).first();
  assert.equal(row.state, 'failed');
  assert.match(row.error, /404/, `a readable reason: ${row.error}`);
  assert.equal(row.attempts, 1);
  assert.equal(row.next_attempt_at.getTime(), now.getTime() + 60_000);
  assert.equal(s.router.certs.has(host), false, 'no certificate: the app stays on plain HTTP');
  await m.tick(); // not due yet
  await m.idle();
  assert.equal((await s.db('certificates').where({ host }).first()).attempts, 1);
  now = new Date(now.getTime() + 61_000);
  await m.tick();
  await m.idle();
  row = await s.db('certificates').where({ host }).first();
  assert.equal(row.attempts, 2);
  assert.equal(row.next_attempt_at.getTime(), now.getTime() + 120_000);
  // The challenge can be met again: the next retry issues.
  s.responder.failing = false;
  now = new Date(now.getTime() + 121_000);
  await m.tick();
  await m.idle();
  row = await s.db('certificates').where({ host }).first();
  assert.equal(row.state, 'issued');
  assert.equal(row.error, null);
  assertIssuedFor(s, host);
});

test('an ACME certificate expiring within PAAS_ACME_RENEW_DAYS is renewed at start and its expiry moves out', async (t) => {
  const s = await stand(t);
  if (!s) return;
  const appId = await deployedApp(s.db, 'old');
  const host = 'old.apps.example.com';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-renew-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [certFile, keyFile] = await selfSigned(dir, 'old', 5, `DNS:${host}`, host);
  const old = new crypto.X509Certificate(fs.readFileSync(certFile));
  await s.db('certificates').insert({
    app_id: appId, host, source: 'acme', state: 'issued', cert_pem: fs.readFileSync(certFile, 'utf8'), key_pem: fs.readFileSync(keyFile, 'utf8'),
    names: [host], expires_at: new Date(old.validTo),
  });
  const m = manager(t, s);
  await m.start();
  assert.equal(s.router.certs.get(host)?.cert.trim(), fs.readFileSync(certFile, 'utf8').trim(), 'the old certificate serves until the new one is there');
  await m.idle();
  const row = await s.db('certificates').where({ host }).first();
  assert.equal(row.state, 'issued');
  assert.ok(row.expires_at.getTime() > new Date(old.validTo).getTime() + 20 * DAY, `renewed: ${row.expires_at.toISOString()}`);
  assertIssuedFor(s, host);
});

test('the platform\'s own host (PAAS_DOMAIN) is routed to the web port and gets a certificate', async (t) => {
  const s = await stand(t, { PAAS_DOMAIN: 'paas.example.net', PAAS_HTTP_PORT: '5123' });
  if (!s) return;
  const m = manager(t, s);
  await m.start();
  await m.idle();
  assert.deepEqual(s.router.platform, { hosts: ['paas.example.net'], port: 5123, secret: routerSecret(s.config.dataDir) }, 'the web port, marked with the router secret');
  assertIssuedFor(s, 'paas.example.net');
  assert.equal((await s.db('certificates').where({ host: 'paas.example.net' }).first()).app_id, null);
});

test('hostile: hosts no public CA issues for (x.localhost, IP literals) are never ordered', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  const config = loadConfig({ PAAS_BASE_DOMAIN: 'localhost', PAAS_DASHBOARD_HOST: 'paas.example.net', PAAS_ROUTER_TLS_PORT: '0', PAAS_ACME_EMAIL: 'ops@example.com' });
  const ordered: string[] = [];
  const issuer: Issuer = { order: async (host) => { ordered.push(host); throw new Error('not expected'); } };
  // Stored past domains:add's checks (as an older platform could have): an IP and a single-label name.
  await deployedApp(db, 'x', ['127.0.0.1', '2130706433', 'intranet']);
  const m = manager(t, { db, config, router: recordingRouter() }, { issuer });
  await m.start();
  await m.idle();
  assert.deepEqual(ordered, []);
  assert.equal((await db('certificates').select('*')).length, 0, 'no row: the display says why instead');
});

test('an app without a web process has no hosts, so nothing is ordered', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  const config = loadConfig({ PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DASHBOARD_HOST: 'paas.example.net', PAAS_ROUTER_TLS_PORT: '0', PAAS_ACME_EMAIL: 'ops@example.com' });
  const ordered: string[] = [];
  await deployedApp(db, 'worker-only', [], { worker: 'node work.js' });
  const m = manager(t, { db, config, router: recordingRouter() }, { issuer: { order: async (h) => { ordered.push(h); throw new Error('no'); } } });
  await m.start();
  await m.idle();
  assert.deepEqual(ordered, []);
});

test('hostile: an uploaded certificate naming another app\'s host is served only for the uploading app\'s own hosts', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  const config = loadConfig({ PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DASHBOARD_HOST: 'paas.example.net' });
  const evilId = await deployedApp(db, 'evil', ['evil-shop.example.org']);
  await deployedApp(db, 'victim', ['victim.example.org']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-upload-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The tenant's certificate claims every app host, the victim's custom domain, and its own domain.
  const [certFile, keyFile] = await selfSigned(dir, 'evil', 30, 'DNS:*.apps.example.com,DNS:victim.example.org,DNS:evil-shop.example.org', 'evil');
  const owner = await db('apps').where({ id: evilId }).first('owner_id');
  await addCertificate(db, { kind: 'user', user: { id: owner.owner_id, email: 'x', isAdmin: false, disabled: false } }, 'evil', fs.readFileSync(certFile), fs.readFileSync(keyFile), config.baseDomain);
  const router = recordingRouter();
  const m = manager(t, { db, config, router });
  await m.start();
  assert.deepEqual([...router.certs.keys()].sort(), ['evil-shop.example.org', 'evil.apps.example.com']);
  assert.equal(router.certs.has('victim.apps.example.com'), false);
  assert.equal(router.certs.has('victim.example.org'), false);
  assert.equal(router.certs.has('*.apps.example.com'), false, 'a wildcard is never handed to the router as such');
  // Replaced by an upload that covers only the app's own host: the custom domain loses it.
  const [cert2, key2] = await selfSigned(dir, 'evil2', 30, 'DNS:evil.apps.example.com', 'evil');
  await addCertificate(db, { kind: 'operator' }, 'evil', fs.readFileSync(cert2, 'utf8'), fs.readFileSync(key2, 'utf8'), config.baseDomain);
  await m.syncApp('evil');
  assert.deepEqual([...router.certs.keys()], ['evil.apps.example.com']);
  assert.equal((await db('certificates').where({ source: 'upload' })).length, 1, 'one upload per app');
});

test('an upload that expires while the platform runs leaves the router at the next check', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  const config = loadConfig({ PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DASHBOARD_HOST: 'paas.example.net' });
  await deployedApp(db, 'shop');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-upload-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [cert, key] = await selfSigned(dir, 'shop', 3, 'DNS:shop.apps.example.com', 'shop');
  await addCertificate(db, { kind: 'operator' }, 'shop', fs.readFileSync(cert), fs.readFileSync(key), config.baseDomain);
  let now = new Date();
  const router = recordingRouter();
  const m = manager(t, { db, config, router }, { now: () => now });
  await m.start();
  assert.ok(router.certs.has('shop.apps.example.com'));
  now = new Date(now.getTime() + 4 * DAY);
  await m.tick();
  assert.equal(router.certs.has('shop.apps.example.com'), false);
});

/** A stand without pebble: the manager's own Issuer port, answering from a function (for budget and deadline cases). */
async function quickStand(t: TestContext, order: (host: string) => Promise<IssuedCertificate>, env: Record<string, string> = {}) {
  const db = await openTestSchema(t, 'certq');
  if (!db) return undefined;
  const config = loadConfig({
    PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DASHBOARD_HOST: 'paas.example.net', PAAS_ROUTER_TLS_PORT: '0',
    PAAS_ACME_EMAIL: 'ops@example.com', PAAS_ACME_DIRECTORY: 'https://acme.invalid/dir', ...env,
  });
  const ordered: string[] = [];
  const issuer: Issuer = { order: (host) => { ordered.push(host); return order(host); } };
  return { db, config, router: recordingRouter(), ordered, issuer };
}

/** One self-signed certificate, made once per file, handed out as every "issued" certificate. */
let sample: Promise<{ certPem: string; keyPem: string }> | undefined;
function sampleCert(): Promise<{ certPem: string; keyPem: string }> {
  sample ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cert-sample-'));
    const [cert, key] = await selfSigned(dir, 'sample', 90, 'DNS:sample.example.com');
    const out = { certPem: fs.readFileSync(cert, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
    fs.rmSync(dir, { recursive: true, force: true });
    return out;
  })();
  return sample;
}

test('hostile: an app with many domains starts at most 5 orders an hour; the others wait, shown as waiting', async (t) => {
  const s = await quickStand(t, async () => ({ ...(await sampleCert()), expiresAt: new Date(Date.now() + 90 * DAY) }));
  if (!s) return;
  const domains = Array.from({ length: 9 }, (_, i) => `d${i}.shop-example.org`);
  await deployedApp(s.db, 'shop', domains);
  let now = new Date();
  const m = manager(t, s, { issuer: s.issuer, now: () => now });
  await m.start();
  await m.idle();
  assert.equal(s.ordered.length, 5, `orders started: ${s.ordered.join(', ')}`);
  const waiting = await s.db('certificates').where({ state: 'pending' }).select('host', 'error');
  assert.equal(waiting.length, 5, 'the other hosts (10 in all with shop.apps.example.com) stay pending');
  for (const w of waiting) assert.match(w.error, /at most 5 certificate orders an hour/);
  now = new Date(now.getTime() + 61 * 60 * 1000); // an hour later the budget allows five more
  await m.tick();
  await m.idle();
  assert.equal(s.ordered.length, 10);
  assert.equal(await s.db('certificates').where({ state: 'issued' }).count({ n: '*' }).first().then((r) => Number(r?.n)), 10);
});

test('an order that hangs fails at the deadline with a clear reason, and the queue goes on to the next host', async (t) => {
  const s = await quickStand(t, async (host) => {
    if (host === 'stuck.apps.example.com') return new Promise<never>(() => undefined);
    return { ...(await sampleCert()), expiresAt: new Date(Date.now() + 90 * DAY) };
  });
  if (!s) return;
  await deployedApp(s.db, 'stuck');
  await deployedApp(s.db, 'fine');
  const m = manager(t, s, { issuer: s.issuer, orderTimeoutMs: 300 });
  await m.start();
  await m.idle();
  const stuck = await s.db('certificates').where({ host: 'stuck.apps.example.com' }).first();
  assert.equal(stuck.state, 'failed');
  assert.match(stuck.error, /took longer than/);
  assert.ok(stuck.next_attempt_at > new Date(), 'tried again later');
  assert.ok(s.router.certs.has('fine.apps.example.com'), 'the next host was ordered');
});

test('an ACME certificate whose renewal keeps failing leaves the router when it expires', async (t) => {
  let fail = false;
  const s = await quickStand(t, async () => {
    if (fail) throw new Error('the CA said no');
    return { ...(await sampleCert()), expiresAt: new Date(Date.now() + 40 * DAY) };
  });
  if (!s) return;
  await deployedApp(s.db, 'shop');
  let now = new Date();
  const m = manager(t, s, { issuer: s.issuer, now: () => now });
  await m.start();
  await m.idle();
  assert.ok(s.router.certs.has('shop.apps.example.com'));
  fail = true;
  now = new Date(now.getTime() + 20 * DAY); // renewal due (30 days before expiry), and it fails
  await m.tick();
  await m.idle();
  assert.ok(s.router.certs.has('shop.apps.example.com'), 'the old certificate serves until it expires');
  now = new Date(now.getTime() + 21 * DAY);
  await m.tick();
  await m.idle();
  assert.equal(s.router.certs.has('shop.apps.example.com'), false, 'an expired certificate is not served');
});

test('hostile: an app whose host is the platform\'s own (an older config) gets no certificate or order for it', async (t) => {
  const s = await quickStand(t, async () => ({ ...(await sampleCert()), expiresAt: new Date(Date.now() + 90 * DAY) }), { PAAS_DASHBOARD_HOST: 'deploy.apps.example.com' });
  if (!s) return;
  await deployedApp(s.db, 'deploy', ['www.deploy-example.org']);
  const m = manager(t, s, { issuer: s.issuer });
  await m.start();
  await m.idle();
  assert.deepEqual(s.ordered, ['www.deploy-example.org']);
  assert.equal(s.router.certs.has('deploy.apps.example.com'), false);
});
