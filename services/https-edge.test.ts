// services/https-edge.test.ts — what the platform itself reads of an app's HTTPS (real PostgreSQL): the edge a
// ReleaseSpec carries (options and the upload with the hosts it covers), and the push's URL, https only once the
// router serves HTTPS and the app's host has a certificate, else exactly the http URL it always was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppRow } from '../core/access.ts';
import { loadConfig } from '../core/config.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { appEdge } from './https-edge.ts';
import { liveAppUrl } from './release-spec.ts';

async function withApp(t: import('node:test').TestContext) {
  const db = await openTestSchema(t, 'edge');
  if (!db) return undefined;
  const [user] = await db('users').insert({ email: 'o@example.com', password_hash: 'x' }).returning('id');
  const [app] = await db('apps').insert({ name: 'shop', owner_id: (user as { id: number }).id }).returning('*');
  return { db, app: app as AppRow };
}

const later = () => new Date(Date.now() + 30 * 86400_000);

test('the push URL is https once the router serves HTTPS and the host has an issued or uploaded certificate', async (t) => {
  const w = await withApp(t);
  if (!w) return;
  const plain = loadConfig({ PAAS_ROUTER_PORT: '8080', PAAS_BASE_DOMAIN: 'apps.test' });
  const tls = loadConfig({ PAAS_ROUTER_PORT: '8080', PAAS_ROUTER_TLS_PORT: '8443', PAAS_BASE_DOMAIN: 'apps.test' });
  const on443 = loadConfig({ PAAS_ROUTER_PORT: '80', PAAS_ROUTER_TLS_PORT: '443', PAAS_BASE_DOMAIN: 'apps.test' });
  assert.equal(await liveAppUrl(w.db, tls, w.app), 'http://shop.apps.test:8080/', 'no certificate yet');
  await w.db('certificates').insert({ app_id: w.app.id, host: 'shop.apps.test', source: 'acme', state: 'pending' });
  assert.equal(await liveAppUrl(w.db, tls, w.app), 'http://shop.apps.test:8080/', 'pending is not served');
  await w.db('certificates').where({ host: 'shop.apps.test' }).update({ state: 'issued', expires_at: later() });
  assert.equal(await liveAppUrl(w.db, plain, w.app), 'http://shop.apps.test:8080/', 'no TLS port: the exact http URL');
  assert.equal(await liveAppUrl(w.db, tls, w.app), 'https://shop.apps.test:8443/');
  assert.equal(await liveAppUrl(w.db, on443, w.app), 'https://shop.apps.test/');
  await w.db('certificates').delete();
  await w.db('certificates').insert({ app_id: w.app.id, host: '*.apps.test', source: 'upload', state: 'issued', names: ['*.apps.test'], expires_at: later(), cert_pem: 'C', key_pem: 'K' });
  assert.equal(await liveAppUrl(w.db, tls, w.app), 'https://shop.apps.test:8443/', 'an uploaded wildcard covers the host');
  await w.db('certificates').update({ expires_at: new Date(Date.now() - 1000) });
  assert.equal(await liveAppUrl(w.db, tls, w.app), 'http://shop.apps.test:8080/', 'an expired upload is not served');
});

test('the edge of a release: the options, and the upload with the hosts it covers (never another name)', async (t) => {
  const w = await withApp(t);
  if (!w) return;
  assert.deepEqual(await appEdge(w.db, 'apps.test', w.app, ['www.shop.example']), { redirectHttps: false, hsts: false });
  await w.db('apps').where({ id: w.app.id }).update({ https_redirect: true });
  await w.db('certificates').insert({ app_id: w.app.id, host: 'www.shop.example', source: 'upload', state: 'issued', names: ['www.shop.example', 'other.example'], expires_at: later(), cert_pem: 'C', key_pem: 'K' });
  assert.deepEqual(await appEdge(w.db, 'apps.test', w.app, ['www.shop.example', 'api.shop.example']), {
    redirectHttps: true, hsts: false, uploaded: { cert: 'C', key: 'K', hosts: ['www.shop.example'] },
  });
});
