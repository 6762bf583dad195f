// test/e2e/https.test.ts — HTTPS as a single-server user sets it up (README "HTTPS on a single server"): the platform
// started with PAAS_ROUTER_TLS_PORT, PAAS_ACME_EMAIL and PAAS_DOMAIN against a real ACME server (Debian's pebble, with
// its own DNS answering 127.0.0.1 for every name), apps pushed with the real git over OpenSSH, and every certificate
// checked in a real TLS handshake against pebble's root. Nothing skips validation: pebble fetches each HTTP-01 token
// from the router's plain HTTP port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { findFreePort } from '../../core/net.ts';
import { sshCli } from '../support/access.ts';
import { startPebble, selfSigned, type Pebble } from '../support/pebble.ts';
import { createUser, fixtureRepo, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; cert?: { fingerprint256: string; subjectaltname?: string } }

let p: Platform;
let dir: string;
let pebble: Pebble;
let alice: TestUser;
const stops: (() => Promise<void>)[] = [];

/** GET over HTTPS to the router's TLS port as a browser would ask for `host` (SNI and Host), trusting only `ca`. */
function httpsGet(host: string, urlPath = '/', ca = pebble.rootPem, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: p.routerTlsPort, servername: host, path: urlPath, headers: { ...headers, host }, ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, cert }));
    });
    req.on('error', reject);
  });
}

/** GET over plain HTTP to the router with `Host: host`. */
function httpGet(host: string, urlPath = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: p.routerPort, path: urlPath, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

/** Waits (up to a minute: an ACME order takes a few round trips) until `host` answers over HTTPS with a trusted certificate. */
function servedOverHttps(host: string): Promise<Answer> {
  return waitFor(async () => {
    const answer = await httpsGet(host);
    return answer.status === 200 ? answer : undefined;
  }, 60_000, `https://${host}/ with a certificate from pebble`);
}

before(async () => {
  dir = tempDir();
  // pebble checks HTTP-01 on the router's plain port, so that port is chosen first (a free one) and given to both.
  const routerPort = await findFreePort();
  const t = { after: (fn: () => unknown) => { stops.push(async () => { await fn(); }); } };
  pebble = await startPebble(t, { challengePort: routerPort });
  p = await startPlatform({
    env: {
      PAAS_BASE_DOMAIN: 'apps.test', PAAS_ROUTER_PORT: String(routerPort), PAAS_ROUTER_TLS_PORT: '0', PAAS_DOMAIN: 'paas.test',
      PAAS_ACME_EMAIL: 'ops@example.com', PAAS_ACME_DIRECTORY: pebble.directory, PAAS_ACME_CA_FILE: pebble.caFile,
    },
  });
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  await stopPlatform(p, dir);
  for (const stop of stops.reverse()) await stop();
});

test('a pushed app is served over HTTPS with a certificate issued by the ACME server, and still over HTTP', async () => {
  assert.ok(p.routerTlsPort, `the banner names the HTTPS port:\n${p.output()}`);
  assert.match(p.output(), /Router \(HTTPS\):\s+https:\/\/<app>\.apps\.test:\d+\/\s+certificates: ACME \(https:\/\/127\.0\.0\.1:\d+\/dir\)/);
  await createApp(p, 'shop', alice.email);
  const repo = await fixtureRepo('node', dir);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'shop'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const answer = await servedOverHttps('shop.apps.test');
  assert.equal(answer.body, 'Hello from node, release v1\n');
  assert.match(answer.cert?.subjectaltname ?? '', /DNS:shop\.apps\.test/);
  assert.equal(answer.headers['strict-transport-security'], undefined, 'HSTS is off by default');
  const plain = await httpGet('shop.apps.test');
  assert.deepEqual([plain.status, plain.body], [200, 'Hello from node, release v1\n'], 'HTTP keeps serving: no redirect unless asked');
  const certs = await sshCli(p, alice, ['certs', 'shop']);
  assert.equal(certs.code, 0, certs.stderr);
  assert.match(certs.stdout, /shop\.apps\.test.*issued/);
  // A name the router has no certificate for gets no handshake at all, never another app's certificate.
  await assert.rejects(httpsGet('nobody.apps.test'));
});

test('a custom domain added later gets its own certificate', async () => {
  const added = await sshCli(p, alice, ['domains:add', 'shop', 'www.shop.test']);
  assert.equal(added.code, 0, added.stderr);
  const answer = await servedOverHttps('www.shop.test');
  assert.equal(answer.body, 'Hello from node, release v1\n');
  assert.match(answer.cert?.subjectaltname ?? '', /DNS:www\.shop\.test/);
});

test('a host whose challenge fails shows failed with the reason, and the app is still served over HTTP', async () => {
  await pebble.servfail('broken.shop.test');
  const added = await sshCli(p, alice, ['domains:add', 'shop', 'broken.shop.test']);
  assert.equal(added.code, 0, added.stderr);
  const certs = await waitFor(async () => {
    const out = await sshCli(p, alice, ['certs', 'shop']);
    return /broken\.shop\.test.*failed/.test(out.stdout) ? out.stdout : undefined;
  }, 60_000, 'broken.shop.test shown as failed');
  assert.match(certs, /broken\.shop\.test.*failed: .*could not resolve/, 'the CA\'s reason: the name does not resolve');
  const plain = await httpGet('broken.shop.test');
  assert.deepEqual([plain.status, plain.body], [200, 'Hello from node, release v1\n']);
  await assert.rejects(httpsGet('broken.shop.test'), 'no certificate, no handshake');
});

test('certs:redirect sends HTTP to HTTPS (never the ACME challenge path), and certs:hsts adds HSTS on HTTPS only', async () => {
  assert.equal((await sshCli(p, alice, ['certs:redirect', 'shop', 'on'])).code, 0);
  const redirected = await waitFor(async () => {
    const a = await httpGet('shop.apps.test', '/path?q=1');
    return a.status === 308 ? a : undefined;
  }, 10_000, 'the redirect to take effect');
  assert.equal(redirected.headers.location, `https://shop.apps.test:${p.routerTlsPort}/path?q=1`);
  assert.equal((await httpGet('shop.apps.test', '/.well-known/acme-challenge/unknown-token')).status, 404);
  assert.equal((await httpGet('broken.shop.test')).status, 200, 'a host without a certificate is not redirected');
  assert.equal((await sshCli(p, alice, ['certs:hsts', 'shop', 'on'])).code, 0);
  const secure = await waitFor(async () => {
    const a = await httpsGet('shop.apps.test');
    return a.headers['strict-transport-security'] ? a : undefined;
  }, 10_000, 'HSTS to take effect');
  assert.match(String(secure.headers['strict-transport-security']), /max-age=\d+/);
  const bad = await sshCli(p, alice, ['certs:redirect', 'shop', 'maybe']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr + bad.stdout, /on or off/);
});

test('an uploaded certificate (a PEM bundle on stdin over SSH) is served for the app hosts it covers', async () => {
  const [certFile, keyFile] = await selfSigned(dir, 'upload', 30, 'DNS:*.shop.test', 'shop upload');
  const cert = fs.readFileSync(certFile, 'utf8');
  const bundle = cert + fs.readFileSync(keyFile, 'utf8');
  const added = await sshCli(p, alice, ['certs:add', 'shop'], bundle);
  assert.equal(added.code, 0, added.stderr);
  assert.doesNotMatch(added.stdout + added.stderr, /PRIVATE KEY/, 'the key is never echoed');
  const want = new crypto.X509Certificate(cert).fingerprint256;
  const answer = await waitFor(async () => {
    const a = await httpsGet('www.shop.test', '/', cert);
    return a.cert?.fingerprint256 === want ? a : undefined;
  }, 10_000, 'the uploaded certificate on www.shop.test');
  assert.equal(answer.body, 'Hello from node, release v1\n');
  // shop.apps.test is not covered by *.shop.test: it keeps its ACME certificate.
  assert.match((await httpsGet('shop.apps.test')).cert?.subjectaltname ?? '', /DNS:shop\.apps\.test/);
});

test('the platform host (PAAS_DOMAIN) serves the dashboard over HTTPS with __Host- Secure cookies', async () => {
  let last: unknown;
  const answer = await waitFor(async () => {
    const a = await httpsGet('paas.test', '/signin').catch((err: Error) => err);
    last = a instanceof Error ? a.message : [a.status, a.headers.location, a.body.slice(0, 200)];
    return !(a instanceof Error) && a.status === 200 ? a : undefined;
  }, 60_000, 'https://paas.test/signin').catch((err: Error) => { throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`); });
  assert.match(answer.cert?.subjectaltname ?? '', /DNS:paas\.test/);
  const cookies = [answer.headers['set-cookie'] ?? []].flat();
  assert.ok(cookies.length > 0, 'the sign-in page sets a cookie');
  for (const c of cookies) assert.match(c, /^__Host-[^=]+=.*; Secure/i, c);
});

test('git over HTTPS and the API reach the platform through its host, with the certificate from the ACME server', async () => {
  const rootFile = path.join(dir, 'pebble-root.pem');
  fs.writeFileSync(rootFile, pebble.rootPem);
  await createApp(p, 'tls-push', alice.email);
  const repo = await fixtureRepo('static', dir);
  // As a user's git would: the name resolves to this machine, the chain is checked against the CA (pebble's root;
  // GIT_SSL_CAINFO, which wins over http.sslCAInfo and may be set to the system's bundle on the machine).
  const remote = `https://user:${alice.token}@paas.test:${p.routerTlsPort}/tls-push.git`;
  const push = await git(repo, { ...alice.sshEnv, GIT_SSL_CAINFO: rootFile }, '-c', `http.curloptResolve=paas.test:${p.routerTlsPort}:127.0.0.1`, 'push', remote, 'main');
  assert.equal(push.code, 0, pushOutput(push));
  assert.match(push.stderr, /remote: -----> v1 is live at /);
  const api = await httpsGet('paas.test', '/api/apps', pebble.rootPem, { authorization: `Bearer ${alice.token}` });
  assert.equal(api.status, 200, api.body);
  assert.ok((JSON.parse(api.body) as Array<{ name: string }>).some((a) => a.name === 'tls-push'));
});
