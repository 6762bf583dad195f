// builders/app-json.test.ts — app.json parsing: Heroku's and Dokku's keys, the error messages (line and column, key
// paths), and hostile files (huge, deep, __proto__ keys, long strings, not UTF-8).
import assert from 'node:assert/strict';
import test from 'node:test';
import { isPaasError } from '../core/errors.ts';
import { decodeAppJson, missingRequiredEnv, parseAppJson } from './app-json.ts';
import { scanJson } from './json-position.ts';

/** Asserts parseAppJson throws E_APP_JSON_INVALID with a message matching `re`. */
function refuses(text: string, re: RegExp): void {
  assert.throws(() => parseAppJson(text), (err) => isPaasError(err) && err.code === 'E_APP_JSON_INVALID' && re.test(err.message));
}

test('Dokku and Heroku keys become the AppJson the build keeps', () => {
  const { appJson, notices } = parseAppJson(JSON.stringify({
    formation: { web: { quantity: 2 }, worker: { quantity: 0 } },
    scripts: { dokku: { predeploy: 'npm run migrate', postdeploy: 'echo done' }, postdeploy: 'npm run seed' },
    healthchecks: { web: [{ type: 'startup', name: 'health', path: '/health', content: 'ok', attempts: 3, wait: 1, timeout: 2, initialDelay: 0.5 }] },
    env: { GREETING: 'hello', API_KEY: { description: 'the API key', required: true }, OPTIONAL: { required: false } },
  }));
  assert.deepEqual(appJson, {
    formation: { web: 2, worker: 0 },
    scripts: { predeploy: 'npm run migrate', postdeploy: 'echo done', firstDeploy: 'npm run seed' },
    healthchecks: [{ name: 'health', path: '/health', content: 'ok', attempts: 3, waitSeconds: 1, timeoutSeconds: 2, initialDelaySeconds: 0.5 }],
    env: { GREETING: { value: 'hello', required: true }, API_KEY: { description: 'the API key', required: true }, OPTIONAL: { required: false } },
  });
  assert.deepEqual(notices, []);
});

test('a check without type is a startup check with Dokku defaults; liveness and readiness checks are kept for Kubernetes with a notice', () => {
  const { appJson, notices } = parseAppJson(JSON.stringify({ healthchecks: { web: [
    { path: '/' }, { type: 'liveness', path: '/live', attempts: 3, wait: 10, timeout: 2 }, { type: 'readiness', path: '/ready', content: 'ok' },
    { type: 'liveness', path: '/other' },
  ] } }));
  assert.deepEqual(appJson.healthchecks, [
    { name: 'check 1', path: '/', attempts: 5, waitSeconds: 5, timeoutSeconds: 5, initialDelaySeconds: 0 },
    { type: 'liveness', name: 'check 2', path: '/live', attempts: 3, waitSeconds: 10, timeoutSeconds: 2, initialDelaySeconds: 0 },
    { type: 'readiness', name: 'check 3', path: '/ready', content: 'ok', attempts: 5, waitSeconds: 5, timeoutSeconds: 5, initialDelaySeconds: 0 },
  ]);
  assert.deepEqual(notices, [
    "healthchecks.web[1] is a liveness check: web's liveness probe in Kubernetes mode (the local and Docker modes use only startup checks, as the deploy gate)",
    "healthchecks.web[2] is a readiness check: web's readiness probe in Kubernetes mode (the local and Docker modes use only startup checks, as the deploy gate); a probe cannot match content, so its content is not checked",
    'healthchecks.web[3] is a second liveness check: only the first is used',
  ]);
});

test('liveness and readiness checks are refused for the same hostile values as startup checks', () => {
  for (const type of ['liveness', 'readiness']) {
    const check = (extra: string) => `{"healthchecks": {"web": [{"type": "${type}", "path": "/", ${extra}}]}}`;
    assert.throws(() => parseAppJson(check('"timeout": -1')), { code: 'E_APP_JSON_INVALID', message: /healthchecks\.web\[0\]\.timeout must be a number from 0\.1 to 600/ });
    assert.throws(() => parseAppJson(check('"timeout": 1e9')), { code: 'E_APP_JSON_INVALID', message: /healthchecks\.web\[0\]\.timeout/ });
    assert.throws(() => parseAppJson(check('"attempts": 2.5')), { code: 'E_APP_JSON_INVALID', message: /attempts must be a whole number from 1 to 100/ });
    assert.throws(() => parseAppJson(check('"wait": "5"')), { code: 'E_APP_JSON_INVALID', message: /healthchecks\.web\[0\]\.wait/ });
    assert.throws(() => parseAppJson(`{"healthchecks": {"web": [{"type": "${type}", "path": "/a b"}]}}`), { code: 'E_APP_JSON_INVALID', message: /path must be an absolute path/ });
    assert.throws(() => parseAppJson(`{"healthchecks": {"web": [{"type": "${type}", "path": "health"}]}}`), { code: 'E_APP_JSON_INVALID', message: /path must be an absolute path/ });
    assert.throws(() => parseAppJson(`{"healthchecks": {"web": [{"type": "${type}", "path": "/\\r\\nX: y"}]}}`), { code: 'E_APP_JSON_INVALID', message: /path must be an absolute path/ });
    assert.throws(() => parseAppJson(check('"attempts": 100, "wait": 600')), { code: 'E_APP_JSON_INVALID', message: /may take .* the most a check may take is 600 s/ });
  }
});

test('checks without a path are ignored with a notice, decided by type first: liveness, readiness, command and uptime checks', () => {
  const { appJson, notices } = parseAppJson(JSON.stringify({ healthchecks: { web: [
    { type: 'liveness', command: ['/bin/true'], attempts: 'many' }, { type: 'readiness', name: 'r' },
    { type: 'startup', command: ['/app/check.sh'], content: 'ok' }, { name: 'uptime', uptime: 10 }, { path: '/up', attempts: 2 },
  ] } }));
  assert.deepEqual(appJson.healthchecks, [{ name: 'check 5', path: '/up', attempts: 2, waitSeconds: 5, timeoutSeconds: 5, initialDelaySeconds: 0 }]);
  assert.deepEqual(notices, [
    'healthchecks.web[0] has no path: only HTTP path checks are supported, so it is ignored',
    'healthchecks.web[1] has no path: only HTTP path checks are supported, so it is ignored',
    'healthchecks.web[2] has no path: only HTTP path checks are supported, so it is ignored',
    'healthchecks.web[3] has no path: only HTTP path checks are supported, so it is ignored',
  ]);
});

test('a startup check that could hold the deploy for more than 10 minutes is refused with its total', () => {
  refuses('{"healthchecks": {"web": [{"path": "/", "attempts": 100, "timeout": 600, "wait": 600, "initialDelay": 600}]}}',
    /^app\.json: healthchecks\.web\[0\] may take 120600 s \(initialDelay \+ attempts × \(timeout \+ wait\)\); the most a check may take is 600 s$/);
  refuses('{"healthchecks": {"web": [{"path": "/ok"}, {"path": "/", "attempts": 60, "timeout": 5, "wait": 5, "initialDelay": 0.5}]}}',
    /healthchecks\.web\[1\] may take 600\.5 s/);
  assert.equal(parseAppJson('{"healthchecks": {"web": [{"path": "/", "attempts": 60, "timeout": 5, "wait": 5}]}}').appJson.healthchecks?.length, 1);
});

test('wrong types and values are refused with the key path', () => {
  refuses('[]', /must hold a JSON object/);
  refuses('"x"', /must hold a JSON object/);
  refuses('{"formation": {"web": {"quantity": 1.5}}}', /formation\.web\.quantity must be a whole number from 0 to 99/);
  refuses('{"formation": {"web": {"quantity": 100}}}', /formation\.web\.quantity/);
  refuses('{"formation": {"web": {"quantity": "1"}}}', /formation\.web\.quantity/);
  refuses('{"formation": {"Web!": {"quantity": 1}}}', /formation\.\"Web!\" is not a process type/);
  refuses('{"formation": []}', /formation must be an object/);
  refuses('{"scripts": {"dokku": {"predeploy": 3}}}', /scripts\.dokku\.predeploy must be a string/);
  refuses('{"scripts": {"postdeploy": "  "}}', /scripts\.postdeploy is an empty command/);
  refuses('{"scripts": {"dokku": {"postdeploy": "echo a\\n !     forged"}}}', /scripts\.dokku\.postdeploy must be one line/);
  refuses('{"healthchecks": {"web": [{"path": "/", "name": "a\\u001b[2Kb"}]}}', /healthchecks\.web\[0\]\.name must be one line/);
  refuses('{"healthchecks": {"web": [{"path": "health"}]}}', /healthchecks\.web\[0\]\.path must be an absolute path/);
  refuses('{"healthchecks": {"web": [{"path": "/a b"}]}}', /healthchecks\.web\[0\]\.path must be an absolute path/);
  refuses('{"healthchecks": {"web": [{"path": "/", "attempts": 0}]}}', /healthchecks\.web\[0\]\.attempts must be a whole number from 1 to 100/);
  refuses('{"healthchecks": {"web": [{"path": "/", "wait": -1}]}}', /healthchecks\.web\[0\]\.wait must be a number from 0 to 600/);
  refuses('{"healthchecks": {"web": [{"path": "/", "timeout": 0}]}}', /healthchecks\.web\[0\]\.timeout/);
  refuses('{"healthchecks": {"web": [{"path": "/", "initialDelay": 601}]}}', /healthchecks\.web\[0\]\.initialDelay/);
  refuses('{"healthchecks": {"web": [{"path": "/", "type": "sometimes"}]}}', /healthchecks\.web\[0\]\.type must be startup/);
  refuses('{"healthchecks": {"web": {"path": "/"}}}', /healthchecks\.web must be a list/);
  refuses('{"env": {"lower": "x"}}', /env\.lower is not a valid config key/);
  refuses('{"env": {"A": 1}}', /env\.A must be an object/);
  refuses('{"env": {"A": {"value": 1}}}', /env\.A\.value must be a string/);
  refuses('{"env": {"A": {"required": "yes"}}}', /env\.A\.required must be true or false/);
});

test('hostile app.json: over 64 KiB, huge numbers, deep nesting, __proto__ keys, long strings are refused or bounded', () => {
  refuses(`{"name": "${'x'.repeat(64 * 1024)}"}`, /larger than 64 KiB/);
  refuses('{"formation": {"web": {"quantity": 1e308}}}', /formation\.web\.quantity must be a whole number/);
  refuses('{"formation": {"web": {"quantity": 1e999}}}', /formation\.web\.quantity/); // Infinity
  refuses('{"healthchecks": {"web": [{"path": "/", "attempts": 9007199254740993}]}}', /attempts must be a whole number from 1 to 100/);
  // Deep nesting under an unknown key is parsed by V8 (iteratively) and never walked; in a known key it is a wrong type.
  const deep = '['.repeat(20000) + ']'.repeat(20000);
  assert.deepEqual(parseAppJson(`{"x": ${deep}}`).notices, ['ignoring what this platform does not use: x']);
  refuses(`{"env": {"A": ${deep}}}`, /env\.A must be an object/);
  refuses('{"env": {"__proto__": "x"}}', /env\.__proto__ is not a valid config key/);
  refuses('{"formation": {"__proto__": {"quantity": 1}}}', /formation\.__proto__ is not a process type/);
  const proto = parseAppJson('{"__proto__": {"env": {"A": "x"}}, "constructor": 1}');
  assert.deepEqual(proto.appJson, {});
  assert.equal(({} as Record<string, unknown>).env, undefined, 'Object.prototype is untouched');
  refuses(`{"scripts": {"postdeploy": "${'x'.repeat(5000)}"}}`, /scripts\.postdeploy is longer than 4096 characters/);
  const longKey = `{"${'k'.repeat(10000)}\\n\\u001b[31m": 1}`;
  const notice = parseAppJson(longKey).notices[0] ?? '';
  assert.ok(notice.length < 200 && !/[\n\u001b]/.test(notice), notice);
  assert.throws(() => decodeAppJson(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not UTF-8/);
  assert.throws(() => decodeAppJson(Buffer.alloc(64 * 1024 + 1, 0x20)), /larger than 64 KiB/);
  assert.equal(decodeAppJson(Buffer.from('\uFEFF{}')), '{}');
  assert.deepEqual(parseAppJson('\uFEFF{}').appJson, {});
});
