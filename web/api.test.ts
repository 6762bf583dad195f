// web/api.test.ts — the JSON API through inject(): ps and logs through the runtime's read port (the embedded
// mode's processes table and log file), the same 404 for someone else's app as for a missing one, the token checked
// before anything else, and hostile input (wrong JSON types, huge or negative numbers, odd names) answered with the
// documented {"error":{"code","message"}} and a stable code, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createToken } from '../core/accounts/users.ts';
import { appLogFile } from '../runtime/local/log-file.ts';
import { createAppAs, releaseBuild, signUp, startWeb, type Harness } from '../test/support/dashboard.ts';
import { insertBuild } from '../test/support/test-schema.ts';

/** A signed-up user with an app and an API token; returns a caller that sends the token. */
async function withToken(h: Harness, email: string, app?: string) {
  const b = await signUp(h, email);
  if (app) await createAppAs(b, app);
  const { id } = await h.db('users').where({ email }).first('id');
  const token = await createToken(h.db, id);
  return async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const body = payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload);
    const res = await h.app.inject({
      method, url, payload: body,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  };
}

/** Asserts the documented error shape, with exactly a code and a message, and returns the code. */
function errorCode(r: { status: number; body: unknown }, status: number, what: string): string {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  const body = r.body as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error'], what);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], what);
  assert.ok(body.error.message.length > 0, what);
  return body.error.code;
}

test('GET /api/apps/:app/ps and /logs read the processes snapshot and the log file', async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com', 'demo');
  assert.deepEqual((await api('GET', '/api/apps/demo/ps')).body, []);
  assert.deepEqual((await api('GET', '/api/apps/demo/logs')).body, { lines: [] });
  const since = new Date('2026-01-01T00:00:00.000Z');
  await h.db('processes').insert([
    { app: 'demo', type: 'worker', index: 1, version: 2, state: 'crashed', pid: null, port: null, restarts: 3, since },
    { app: 'demo', type: 'web', index: 1, version: 2, state: 'up', pid: 4242, port: 40909, restarts: 0, since },
  ]);
  const ps = await api('GET', '/api/apps/demo/ps');
  assert.equal(ps.status, 200);
  assert.deepEqual(ps.body, [
    { process: 'web.1', type: 'web', index: 1, state: 'up', reason: null, version: 2, port: 40909, pod: null, restarts: 0, since: since.toISOString() },
    { process: 'worker.1', type: 'worker', index: 1, state: 'crashed', reason: null, version: 2, port: null, pod: null, restarts: 3, since: since.toISOString() },
  ]);
  const file = appLogFile(h.config.dataDir, 'demo');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = Array.from({ length: 150 }, (_, i) => `2026-01-01T00:00:00.${String(i).padStart(3, '0')}Z app[web.1]: line ${i}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  assert.deepEqual((await api('GET', '/api/apps/demo/logs?lines=2')).body, { lines: lines.slice(-2) });
  assert.deepEqual((await api('GET', '/api/apps/demo/logs')).body, { lines: lines.slice(-100) }, '100 lines by default, as logs');
  assert.deepEqual((await api('GET', '/api/apps/demo/logs?lines=10000')).body, { lines });
});

test("someone else's app is the same 404 as a missing one for ps and logs; no token is 401 whatever the input", async (t) => {
  const h = await startWeb(t);
  await withToken(h, 'owner@example.com', 'demo');
  const bob = await withToken(h, 'bob@example.com');
  for (const url of ['/api/apps/%s/ps', '/api/apps/%s/logs', '/api/apps/%s/logs?lines=5']) {
    const other = await bob('GET', url.replace('%s', 'demo'));
    const missing = await bob('GET', url.replace('%s', 'nosuch'));
    assert.equal(errorCode(other, 404, url), 'E_APP_NOT_FOUND');
    assert.equal(JSON.stringify(missing.body).replace('nosuch', 'X'), JSON.stringify(other.body).replace('demo', 'X'), url);
  }
  for (const url of ['/api/apps/demo/ps', '/api/apps/demo/logs?lines=-1', '/api/apps/..%2Fetc/logs', '/api/apps/demo/builds/99999999999999/output']) {
    const r = await h.app.inject({ url });
    assert.equal(errorCode({ status: r.statusCode, body: r.json() }, 401, url), 'E_UNAUTHENTICATED');
  }
  const patch = await h.app.inject({ method: 'PATCH', url: '/api/apps/demo/config', payload: '[1]', headers: { 'content-type': 'application/json' } });
  assert.equal(patch.statusCode, 401);
});

test('hostile query strings and path params get a 400 with a stable code, never a 500', async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com', 'demo');
  await insertBuild(h.db, 'demo', { status: 'failed', lines: ['x'] });
  const cases: Array<[string, number, string]> = [
    ['/api/apps/demo/logs?lines=-1', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=0', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=10001', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=99999999999999999999', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=1e3', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=abc', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=', 400, 'E_BAD_REQUEST'],
    ['/api/apps/demo/logs?lines=5&lines=6', 400, 'E_BAD_REQUEST'],
    ['/api/apps/..%2F..%2Fetc/ps', 400, 'E_APP_NAME_INVALID'],
    ['/api/apps/..%2F..%2Fetc/logs', 400, 'E_APP_NAME_INVALID'],
    ['/api/apps/Demo/ps', 400, 'E_APP_NAME_INVALID'],
    [`/api/apps/${'x'.repeat(64)}/ps`, 400, 'E_APP_NAME_INVALID'],
    [`/api/apps/${'x'.repeat(5000)}/ps`, 414, 'E_BAD_REQUEST'],
    ['/api/apps/%E0%A4%A/ps', 400, 'E_BAD_REQUEST'],
    ['/api/apps/%00/config', 400, 'E_APP_NAME_INVALID'],
    ['/api/apps/demo/builds/99999999999999999999/output', 400, 'E_USAGE'],
    ['/api/apps/demo/builds/..%2F1/output', 400, 'E_USAGE'],
    ['/api/apps/demo/builds/2/output', 404, 'E_BUILD_NOT_FOUND'],
  ];
  for (const [url, status, code] of cases) assert.equal(errorCode(await api('GET', url), status, url), code, url);
  assert.equal((await api('GET', '/api/apps/demo/builds/1/output')).status, 200);
});

test('PATCH config refuses bodies that are not an object and values that are not text, and changes nothing', async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com', 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }), { KEEP: 'me' });
  await h.db('apps').where({ name: 'demo' }).update({ config: JSON.stringify({ KEEP: 'me' }) });
  const cases: Array<[string | undefined, number, string]> = [
    ['"GREETING=hi"', 400, 'E_BAD_REQUEST'],
    ['[{"GREETING":"hi"}]', 400, 'E_BAD_REQUEST'],
    ['42', 400, 'E_BAD_REQUEST'],
    ['null', 400, 'E_BAD_REQUEST'],
    [undefined, 400, 'E_BAD_REQUEST'],
    ['{"GREETING": {"nested": "hi"}}', 400, 'E_CONFIG_VALUE_INVALID'],
    ['{"GREETING": ["hi"]}', 400, 'E_CONFIG_VALUE_INVALID'],
    ['{"GOOD": "yes", "BAD": {}}', 400, 'E_CONFIG_VALUE_INVALID'],
    ['{"GREETING": "hi"', 400, 'E_BAD_REQUEST'],
    ['{"__proto__": {"x": 1}}', 400, 'E_BAD_REQUEST'],
    [JSON.stringify(Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`K${i}`, 'v']))), 400, 'E_BAD_REQUEST'],
  ];
  for (const [payload, status, code] of cases) {
    const r = payload === undefined
      ? await api('PATCH', '/api/apps/demo/config', undefined, { 'content-type': 'application/json' })
      : await api('PATCH', '/api/apps/demo/config', payload);
    assert.equal(errorCode(r, status, String(payload)), code, String(payload));
  }
  const text = await api('PATCH', '/api/apps/demo/config', 'GREETING=hi', { 'content-type': 'text/plain' });
  assert.equal(errorCode(text, 400, 'text/plain'), 'E_BAD_REQUEST', 'a text body is not an object');
  const xml = await api('PATCH', '/api/apps/demo/config', '<GREETING>hi</GREETING>', { 'content-type': 'application/xml' });
  assert.equal(errorCode(xml, 415, 'xml'), 'E_UNSUPPORTED_MEDIA_TYPE');
  assert.deepEqual((await api('GET', '/api/apps/demo/config')).body, { KEEP: 'me' }, 'nothing changed');
  assert.equal(await h.db('releases').count('* as n').first().then((r) => Number(r!.n)), 1, 'no release made');
  const ok = await api('PATCH', '/api/apps/demo/config', { PORT: 5000, DEBUG: true, NAME: 'x', KEEP: null });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual((await api('GET', '/api/apps/demo/config')).body, { PORT: '5000', DEBUG: 'true', NAME: 'x' }, 'numbers and booleans as text; null unsets');
});

test('PATCH config?restart=false stores without a release, and ?encoded=true takes strict base64 values as the CLI does', async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com', 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }), { KEEP: 'me' });
  const releases = async () => Number((await h.db('releases').count('* as n').first())!.n);
  const pem = '-----BEGIN KEY-----\nabc\n-----END KEY-----\n';
  const ok = await api('PATCH', '/api/apps/demo/config?restart=false&encoded=true', { PEM: Buffer.from(pem).toString('base64') });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { releases: [] });
  assert.equal((await api('GET', '/api/apps/demo/config')).body.PEM, pem);
  assert.equal(await releases(), 1, 'no release made');
  const bad = await api('PATCH', '/api/apps/demo/config?restart=false&encoded=true', { OTHER: 'not base64!' });
  assert.equal(errorCode(bad, 400, 'bad base64'), 'E_CONFIG_VALUE_INVALID');
  assert.equal(errorCode(await api('PATCH', '/api/apps/demo/config?restart=no', { A: 'b' }), 400, 'restart=no'), 'E_BAD_REQUEST');
  assert.equal((await api('GET', '/api/apps/demo/config')).body.OTHER, undefined);
});

test('POST /api/apps, rollback and DELETE refuse wrong JSON types with their codes', async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com', 'demo');
  for (const name of [42, null, ['a'], { a: 1 }, true]) {
    assert.equal(errorCode(await api('POST', '/api/apps', { name }), 400, JSON.stringify(name)), 'E_APP_NAME_INVALID', JSON.stringify(name));
  }
  for (const payload of ['"demo2"', '[]', '7']) assert.equal(errorCode(await api('POST', '/api/apps', payload), 400, payload), 'E_BAD_REQUEST', payload);
  assert.equal((await h.db('apps').count('* as n').first().then((r) => Number(r!.n))), 1, 'no app was created (not even "42")');
  for (const version of ['v99999999999', 'abc', -1, 1.5, { v: 1 }, ['v1'], '../1']) {
    assert.equal(errorCode(await api('POST', '/api/apps/demo/rollback', { version }), 400, JSON.stringify(version)), 'E_USAGE', JSON.stringify(version));
  }
  assert.equal(errorCode(await api('POST', '/api/apps/demo/rollback', '"v1"'), 400, 'string body'), 'E_BAD_REQUEST');
  assert.equal(errorCode(await api('POST', '/api/apps/demo/rollback'), 409, 'no body'), 'E_NO_RELEASE', 'no body: back to the release before, of which there is none');
  assert.equal(errorCode(await api('POST', '/api/apps/demo/rollback', { version: 3 }), 409, 'a number'), 'E_NO_RELEASE');
  assert.equal(errorCode(await api('DELETE', '/api/apps/demo?confirm=demo&confirm=demo'), 400, 'two confirms'), 'E_BAD_REQUEST');
  assert.equal(errorCode(await api('DELETE', '/api/apps/demo?confirm=other'), 400, 'wrong confirm'), 'E_CONFIRM_REQUIRED');
  assert.equal((await api('DELETE', '/api/apps/demo?confirm=demo')).status, 204);
});

test('POST /api/apps refuses reserved names with E_APP_NAME_RESERVED, and over-large or non-JSON bodies with their codes', async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com');
  for (const name of ['paas', 'www', 'api', 'admin', 'git', 'dashboard']) {
    const r = await api('POST', '/api/apps', { name });
    assert.equal(errorCode(r, 400, name), 'E_APP_NAME_RESERVED', name);
    assert.match((r.body as { error: { message: string } }).error.message, new RegExp(`"${name}" is reserved by the platform`));
  }
  const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) });
  assert.equal(errorCode(await api('POST', '/api/apps', huge), 413, 'over 1 MiB'), 'E_INPUT_TOO_LARGE');
  assert.equal(errorCode(await api('POST', '/api/apps', 'name=demo', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'a form'), 'E_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(errorCode(await api('POST', '/api/apps', '{"name": "de'), 400, 'bad JSON'), 'E_BAD_REQUEST');
  assert.equal(await h.db('apps').count('* as n').first().then((r) => Number(r!.n)), 0, 'no app was created');
});

test('PUT and DELETE /api/apps/:app/autoscaling/:type in Kubernetes mode: stored, shown by GET /api/apps/:app, hostile values refused', async (t) => {
  const h = await startWeb(t, { PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test:5000', PAAS_BASE_DOMAIN: 'apps.test' });
  const api = await withToken(h, 'a@example.com', 'demo');
  assert.equal(errorCode(await api('PUT', '/api/apps/demo/autoscaling/web', { min: 1, max: 5, cpu: 70 }), 409, 'no release'), 'E_NO_RELEASE');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  const hostile: Array<[unknown, string, number]> = [
    [{ min: 0, max: 5, cpu: 70 }, 'E_AUTOSCALE_INVALID', 400], [{ min: 3, max: 2, cpu: 70 }, 'E_AUTOSCALE_INVALID', 400],
    [{ min: 1, max: 100, cpu: 70 }, 'E_AUTOSCALE_INVALID', 400], [{ min: 1, max: 5, cpu: 101 }, 'E_AUTOSCALE_INVALID', 400],
    [{ min: 1, max: 5, cpu: 0 }, 'E_AUTOSCALE_INVALID', 400], [{ min: 1.5, max: 5, cpu: 70 }, 'E_AUTOSCALE_INVALID', 400],
    [{ min: 1, max: 1e308, cpu: 70 }, 'E_AUTOSCALE_INVALID', 400], [{ min: '1', max: 'five', cpu: 70 }, 'E_AUTOSCALE_INVALID', 400],
    [{ min: 1, max: 5 }, 'E_AUTOSCALE_INVALID', 400], [{ min: null, max: 5, cpu: 70 }, 'E_AUTOSCALE_INVALID', 400],
    [{ min: 1, max: 5, cpu: { $gt: 1 } }, 'E_AUTOSCALE_INVALID', 400], ['[1, 5, 70]', 'E_AUTOSCALE_INVALID', 400],
    ['"1..5"', 'E_AUTOSCALE_INVALID', 400], ['{"min": 1,', 'E_BAD_REQUEST', 400],
  ];
  for (const [body, code, status] of hostile) {
    assert.equal(errorCode(await api('PUT', '/api/apps/demo/autoscaling/web', body), status, JSON.stringify(body)), code, JSON.stringify(body));
  }
  assert.equal(errorCode(await api('PUT', '/api/apps/demo/autoscaling/worker', { min: 1, max: 5, cpu: 70 }), 400, 'unknown type'), 'E_PROCESS_TYPE_UNKNOWN');
  assert.equal(errorCode(await api('PUT', '/api/apps/demo/autoscaling/W%20EB', { min: 1, max: 5, cpu: 70 }), 400, 'bad type'), 'E_USAGE');
  assert.deepEqual((await api('GET', '/api/apps/demo')).body.autoscaling, {}, 'nothing stored by a refusal');

  const put = await api('PUT', '/api/apps/demo/autoscaling/web', { min: 2, max: 5, cpu: 70 });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { type: 'web', min: 2, max: 5, cpu: 70 });
  assert.deepEqual((await api('GET', '/api/apps/demo')).body.autoscaling, { web: { min: 2, max: 5, cpu: 70 } });
  assert.equal((await api('DELETE', '/api/apps/demo/autoscaling/web')).status, 204);
  assert.equal((await api('DELETE', '/api/apps/demo/autoscaling/web')).status, 204, 'a second off is idempotent');
  assert.deepEqual((await api('GET', '/api/apps/demo')).body.autoscaling, {});
});

test("autoscaling outside Kubernetes mode is E_AUTOSCALE_UNAVAILABLE; someone else's app is the same 404 as a missing one", async (t) => {
  const h = await startWeb(t);
  const api = await withToken(h, 'a@example.com', 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  const put = await api('PUT', '/api/apps/demo/autoscaling/web', { min: 1, max: 5, cpu: 70 });
  assert.equal(errorCode(put, 501, 'local mode'), 'E_AUTOSCALE_UNAVAILABLE');
  assert.match(put.body.error.message, /^Autoscaling needs Kubernetes mode \(PAAS_RUNTIME=kubernetes\); this platform runs in local mode/);
  assert.equal(errorCode(await api('DELETE', '/api/apps/demo/autoscaling/web'), 501, 'local mode off'), 'E_AUTOSCALE_UNAVAILABLE');
  assert.deepEqual((await api('GET', '/api/apps/demo')).body.autoscaling, {});
  const bob = await withToken(h, 'bob@example.com');
  for (const [method, body] of [['PUT', { min: 1, max: 5, cpu: 70 }], ['DELETE', undefined]] as const) {
    const other = await bob(method, '/api/apps/demo/autoscaling/web', body);
    const missing = await bob(method, '/api/apps/nosuch/autoscaling/web', body);
    assert.equal(errorCode(other, 404, method), 'E_APP_NOT_FOUND');
    assert.equal(JSON.stringify(missing.body).replace('nosuch', 'X'), JSON.stringify(other.body).replace('demo', 'X'), method);
  }
  const anonymous = await h.app.inject({ method: 'PUT', url: '/api/apps/demo/autoscaling/web', payload: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(anonymous.statusCode, 401);
});

