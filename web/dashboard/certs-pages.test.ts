// web/dashboard/certs-pages.test.ts — certificates on an app's Domains page (inject, real PostgreSQL): each host's
// state (pending, issued with expiry, failed with the reason, uploaded), the upload form (the key never rendered
// back), the redirect and HSTS switches, and hostile uploads refused with the error partial and nothing stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, signUp, startWeb } from '../../test/support/dashboard.ts';
import { selfSignedPem } from '../../test/support/pebble.ts';

test('the Domains page shows each host\'s certificate, takes an upload and switches redirect and HSTS', async (t) => {
  const h = await startWeb(t, { PAAS_ROUTER_TLS_PORT: '8443', PAAS_ACME_EMAIL: 'ops@example.com' });
  const b = await signUp(h, 'alice@example.com');
  await createAppAs(b, 'demo');
  for (const host of ['www.example.com', 'api.example.com', 'new.example.com']) await b.post('/apps/demo/domains', { hostname: host });
  const app = await h.db('apps').where({ name: 'demo' }).first('id');
  const expires = new Date(Date.now() + 60 * 86400_000);
  await h.db('certificates').insert([
    { app_id: app.id, host: 'api.example.com', source: 'acme', state: 'failed', error: 'DNS problem: NXDOMAIN looking up A for api.example.com' },
    { app_id: app.id, host: 'new.example.com', source: 'acme', state: 'pending' },
  ]);
  let page = await b.get('/apps/demo/domains');
  assert.equal(page.status, 200);
  assert.match(page.body, /failed: DNS problem: NXDOMAIN looking up A for api\.example\.com/);
  assert.match(page.body, /badge-pending">pending/);
  assert.match(page.body, /none: not eligible for ACME: localhost/);
  const { cert, key } = await selfSignedPem(t, 'DNS:www.example.com');
  const added = await b.post('/apps/demo/certs', { cert, key });
  assert.equal(added.status, 303, added.body.slice(0, 500));
  page = await b.get('/apps/demo/domains');
  assert.match(page.body, /Added a certificate for www\.example\.com\. It serves www\.example\.com\./);
  assert.match(page.body, /badge-issued">uploaded<\/span> <span class="cert-state">issued, expires \d{4}-\d\d-\d\d/);
  assert.match(page.body, /id="cert-upload">Uploaded: <code>www\.example\.com<\/code>/);
  assert.doesNotMatch(page.body, /PRIVATE KEY-----\n/);
  await h.db('certificates').where({ host: 'new.example.com' }).update({ state: 'issued', expires_at: expires });
  assert.match((await b.get('/apps/demo/domains')).body, new RegExp(`issued, expires ${expires.toISOString().slice(0, 10)}`));

  assert.match(page.body, /id="https-redirect">off/);
  assert.equal((await b.post('/apps/demo/https', { option: 'redirect', value: 'on' })).status, 303);
  assert.equal((await b.post('/apps/demo/https', { option: 'hsts', value: 'on' })).status, 303);
  page = await b.get('/apps/demo/domains');
  assert.match(page.body, /id="https-redirect">on<\/strong> · HSTS: <strong id="https-hsts">on/);
  assert.deepEqual(await h.db('apps').where({ name: 'demo' }).first('https_redirect', 'hsts'), { https_redirect: true, hsts: true });
  assert.equal((await b.post('/apps/demo/https', { option: 'admin', value: 'on' })).status, 400);

  assert.match((await b.get('/apps/demo/certs/remove')).body, /Remove demo&#x27;s uploaded certificate\?/);
  assert.equal((await b.post('/apps/demo/certs/remove')).status, 303);
  assert.equal(await h.db('certificates').where({ source: 'upload' }).first(), undefined);
});

test('hostile: garbage PEM, a private key in the certificate field and a huge body are refused on the upload form; the key is never rendered back', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'alice@example.com');
  await createAppAs(b, 'demo');
  const { cert, key } = await selfSignedPem(t, 'DNS:demo.localhost');
  const keyLine = key.split('\n')[1]!;
  for (const [form, code] of [[{ cert: 'garbage', key }, 'E_CERT_INVALID'], [{ cert: key, key }, 'E_CERT_INVALID'], [{ cert, key: 'nope' }, 'E_CERT_KEY_INVALID']] as const) {
    await b.get('/apps/demo/domains');
    const r = await b.post('/apps/demo/certs', form);
    assert.equal(r.status, 400, code);
    assert.match(r.body, new RegExp(`Error code <code>${code}</code>`));
    assert.ok(!r.body.includes(keyLine), 'the key is never rendered back');
  }
  await b.get('/apps/demo/domains');
  const huge = await b.post('/apps/demo/certs', { cert: 'x'.repeat(400 * 1024), key });
  assert.equal(huge.status, 413);
  assert.ok(!huge.body.includes(keyLine));
  assert.equal(await h.db('certificates').first(), undefined);
});
