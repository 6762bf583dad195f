// web/api-certs.test.ts — the certificates API through inject(): list, upload, remove and the HTTPS options, with the
// same 404 for someone else's app as for a missing one, and hostile uploads (garbage PEM, a private key in the cert
// field, wrong JSON types, a huge body) answered with {"error":{"code","message"}} and a stable code; never the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../core/accounts/users.ts';
import { createAppAs, signUp, startWeb, type Harness } from '../test/support/dashboard.ts';
import { selfSignedPem } from '../test/support/pebble.ts';

async function caller(h: Harness, email: string, app?: string) {
  const b = await signUp(h, email);
  if (app) await createAppAs(b, app);
  const { id } = await h.db('users').where({ email }).first('id');
  const token = await createToken(h.db, id);
  return async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const body = payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload);
    const res = await h.app.inject({ method, url, payload: body, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } });
    return { status: res.statusCode, body: res.body ? res.json() : undefined, raw: res.body };
  };
}

test('GET, POST and DELETE /api/apps/:app/certs and PATCH /api/apps/:app/https', async (t) => {
  const h = await startWeb(t, { PAAS_ROUTER_TLS_PORT: '8443' });
  const api = await caller(h, 'a@example.com', 'demo');
  const { cert, key } = await selfSignedPem(t, 'DNS:demo.localhost');
  const empty = await api('GET', '/api/apps/demo/certs');
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body.hosts.map((x: { host: string; state: string }) => `${x.host} ${x.state}`), ['demo.localhost none']);
  assert.match(empty.body.hosts[0].description, /^none: not eligible for ACME: localhost/);
  assert.deepEqual(empty.body.https, { redirect: false, hsts: false });
  assert.equal(empty.body.httpsPort, 8443);
  const added = await api('POST', '/api/apps/demo/certs', { cert, key });
  assert.equal(added.status, 201, added.raw);
  assert.deepEqual(added.body.hosts, ['demo.localhost']);
  assert.doesNotMatch(added.raw, /PRIVATE KEY/);
  const listed = await api('GET', '/api/apps/demo/certs');
  assert.equal(listed.body.hosts[0].source, 'upload');
  assert.equal(listed.body.hosts[0].state, 'issued');
  assert.doesNotMatch(JSON.stringify(listed.body), /PRIVATE KEY|BEGIN/);
  assert.deepEqual((await api('PATCH', '/api/apps/demo/https', { redirect: true })).body, { redirect: true, hsts: false });
  assert.deepEqual((await api('PATCH', '/api/apps/demo/https', { hsts: true })).body, { redirect: true, hsts: true });
  const events = await h.db('outbox').where({ subject: 'paas.domains.updated' }).count('* as n').first();
  assert.equal(Number(events!.n), 3, 'each change announces paas.domains.updated');
  assert.equal((await api('DELETE', '/api/apps/demo/certs')).status, 204);
  const gone = await api('DELETE', '/api/apps/demo/certs');
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'E_CERT_NOT_FOUND');
});

test("hostile: certificate uploads to another user's app, garbage PEM, a key in the cert field, wrong types and a huge body get stable codes", async (t) => {
  const h = await startWeb(t);
  const alice = await caller(h, 'alice@example.com', 'alpha');
  const mallory = await caller(h, 'mallory@example.com');
  const { cert, key } = await selfSignedPem(t, 'DNS:alpha.localhost');
  const code = (r: { status: number; body: { error: { code: string; message: string } } }, status: number) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message']);
    return r.body.error.code;
  };
  for (const [method, url, body] of [['POST', '/api/apps/alpha/certs', { cert, key }], ['GET', '/api/apps/alpha/certs', undefined],
    ['DELETE', '/api/apps/alpha/certs', undefined], ['PATCH', '/api/apps/alpha/https', { hsts: true }]] as const) {
    const theirs = await mallory(method, url, body);
    const missing = await mallory(method, url.replace('alpha', 'no-such-app'), body);
    assert.equal(code(theirs, 404), 'E_APP_NOT_FOUND', `${method} ${url}`);
    assert.equal(theirs.body.error.message.replace('alpha', 'X'), missing.body.error.message.replace('no-such-app', 'X'));
  }
  assert.equal(code(await alice('POST', '/api/apps/alpha/certs', { cert: 'garbage', key }), 400), 'E_CERT_INVALID');
  const keyInCert = await alice('POST', '/api/apps/alpha/certs', { cert: key, key });
  assert.equal(code(keyInCert, 400), 'E_CERT_INVALID');
  assert.doesNotMatch(keyInCert.raw, /PRIVATE KEY-----\n\w/, 'the key is not echoed');
  assert.equal(code(await alice('POST', '/api/apps/alpha/certs', { cert, key: 'not a key' }), 400), 'E_CERT_KEY_INVALID');
  assert.equal(code(await alice('POST', '/api/apps/alpha/certs', { cert: 42, key }), 400), 'E_CERT_INVALID');
  assert.equal(code(await alice('POST', '/api/apps/alpha/certs', { cert: 'x'.repeat(400 * 1024), key }), 413), 'E_INPUT_TOO_LARGE');
  assert.equal(code(await alice('PATCH', '/api/apps/alpha/https', { redirect: 'yes' }), 400), 'E_BAD_REQUEST');
  assert.equal(code(await alice('PATCH', '/api/apps/alpha/https', {}), 400), 'E_BAD_REQUEST');
  assert.equal(await h.db('certificates').first(), undefined, 'nothing was stored');
  assert.deepEqual((await alice('GET', '/api/apps/alpha/certs')).body.https, { redirect: false, hsts: false });
});
