// web/dashboard/error-pages.test.ts — bodies the dashboard cannot read (bad JSON, another content type, over 1 MiB)
// get the dashboard's error page with a 4xx and a stable code, signed in or not, and change nothing; the dashboard's
// own domain and app-name refusals show on their forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, signUp, startWeb, type Harness } from '../../test/support/dashboard.ts';

async function post(h: Harness, url: string, cookie: string, contentType: string, payload: string) {
  const res = await h.app.inject({ method: 'POST', url, payload, headers: { cookie, accept: 'text/html', 'content-type': contentType } });
  return { status: res.statusCode, body: res.body, type: String(res.headers['content-type']) };
}

test('bad JSON, an unsupported content type or a body over 1 MiB on a dashboard route gets a 4xx error page, not a 500', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'alice@example.com');
  await createAppAs(b, 'demo');
  const cases: Array<[string, string, number, string, RegExp]> = [
    ['application/json', '{"name": "x', 400, 'E_BAD_REQUEST', /its body could not be read/],
    ['application/json', '', 400, 'E_BAD_REQUEST', /its body could not be read/],
    ['text/xml', '<name>x</name>', 415, 'E_UNSUPPORTED_MEDIA_TYPE', /accepts forms/],
    ['multipart/form-data; boundary=x', '--x--', 415, 'E_UNSUPPORTED_MEDIA_TYPE', /accepts forms/],
    ['application/x-www-form-urlencoded', `name=${'x'.repeat(1024 * 1024 + 1)}`, 413, 'E_INPUT_TOO_LARGE', /larger than the dashboard accepts/],
  ];
  for (const url of ['/apps', '/apps/demo/config', '/signin']) {
    for (const cookie of [b.cookieHeader, '']) {
      for (const [type, payload, status, code, message] of cases) {
        const r = await post(h, url, cookie, type, payload);
        const what = `${url} ${cookie ? 'signed in' : 'signed out'} ${type} ${payload.length} bytes`;
        assert.equal(r.status, status, `${what}: ${r.body.slice(0, 300)}`);
        assert.match(r.type, /^text\/html/, what);
        assert.match(r.body, new RegExp(code), what);
        assert.match(r.body, message, what);
        assert.doesNotMatch(r.body, /TypeError|E_INTERNAL/, what);
        if (cookie) assert.match(r.body, /alice@example\.com/, `${what}: the page knows who is signed in`);
      }
    }
  }
  assert.equal(await h.db('apps').count('* as n').first().then((r) => Number(r!.n)), 1, 'nothing was created');
});

test("the domains form refuses IP literals and the platform's hosts, and the new-app form reserved names, with their codes", async (t) => {
  const h = await startWeb(t, { PAAS_DASHBOARD_HOST: 'paas.example.com' });
  const b = await signUp(h, 'alice@example.com');
  await createAppAs(b, 'demo');
  await b.get('/apps/demo/domains');
  for (const [hostname, code] of [['127.0.0.1', 'E_DOMAIN_IP'], ['0x7f.1', 'E_DOMAIN_IP'], ['[::1]', 'E_DOMAIN_IP'],
    ['paas.example.com', 'E_DOMAIN_RESERVED'], ['x.paas.example.com', 'E_DOMAIN_RESERVED'], ['api.localhost', 'E_DOMAIN_RESERVED']] as const) {
    const r = await b.post('/apps/demo/domains', { hostname });
    assert.equal(r.status, 400, hostname);
    assert.match(r.body, new RegExp(code), hostname);
  }
  assert.equal(await h.db('domains').count('* as n').first().then((r) => Number(r!.n)), 0, 'no domain was added');
  await b.get('/apps');
  const r = await b.post('/apps', { name: 'dashboard' });
  assert.equal(r.status, 400);
  assert.match(r.body, /E_APP_NAME_RESERVED/);
  assert.match(r.body, /&quot;dashboard&quot; is reserved by the platform/);
});
