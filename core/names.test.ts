// core/names.test.ts — unit tests for the name security boundary: app names, config keys, hostnames and emails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from './errors.ts';
import { parseAppName, parseConfigKey, parseEmail, parseHostname, parseNewAppName, RESERVED_NAMES } from './names.ts';

test('valid app names are returned unchanged', () => {
  for (const name of ['a', '1', 'myapp', 'my-app', 'app2', '2app', 'a-b-c', 'x'.repeat(63)]) {
    assert.equal(parseAppName(name), name);
  }
});

test('hostile app names are refused with E_APP_NAME_INVALID', () => {
  const hostile = [
    '../x', 'a/b', 'A_B', 'x'.repeat(64), '-x', 'x-', 'x;rm -rf /', '', 'x y', 'café', 'аpp', '💥',
    'MyApp', 'a.b', '.', '..', 'a\nb', 'a\0b', ' x', 'x ', '$(id)', '`id`',
  ];
  for (const name of hostile) {
    assert.throws(() => parseAppName(name), (e) => isPaasError(e, 'E_APP_NAME_INVALID'), JSON.stringify(name));
  }
  for (const notString of [undefined, null, 42, ['app'], { name: 'app' }]) {
    assert.throws(() => parseAppName(notString), (e) => isPaasError(e, 'E_APP_NAME_INVALID'), String(notString));
  }
});

test('the app name refusal says what a valid name looks like', () => {
  assert.throws(() => parseAppName('../x'), /"\.\.\/x" is not a valid app name: use 1-63 lowercase letters/);
  assert.throws(() => parseAppName(''), /An empty name is not a valid app name/);
});

test('reserved app names are refused for new apps with E_APP_NAME_RESERVED', () => {
  for (const name of ['paas', 'www', 'api', 'admin', 'git', 'dashboard', 'wpad', 'autoconfig', 'localhost']) {
    assert.ok(RESERVED_NAMES.has(name), name);
    assert.throws(() => parseNewAppName(name), (e) => isPaasError(e, 'E_APP_NAME_RESERVED'), name);
    assert.equal(parseAppName(name), name, 'an existing app of that name stays reachable');
  }
  assert.throws(() => parseNewAppName('api'), /"api" is reserved by the platform/);
  assert.equal(parseNewAppName('my-api'), 'my-api');
  assert.throws(() => parseNewAppName('../x'), (e) => isPaasError(e, 'E_APP_NAME_INVALID'));
});

test('config keys match [A-Z_][A-Z0-9_]*', () => {
  for (const key of ['A', '_X', 'DATABASE_URL', '_', 'A1', 'WEB_CONCURRENCY_2']) assert.equal(parseConfigKey(key), key);
  for (const key of ['a', '1A', 'A-B', 'A B', '', 'lower', '=x', 'A=B', 'Ä', 'A\n', 'A.B', '$A']) {
    assert.throws(() => parseConfigKey(key), (e) => isPaasError(e, 'E_CONFIG_KEY_INVALID'), JSON.stringify(key));
  }
});

test('hostnames are lowercased DNS names with at least two labels', () => {
  assert.equal(parseHostname('www.example.com'), 'www.example.com');
  assert.equal(parseHostname('WWW.Example.COM'), 'www.example.com');
  assert.equal(parseHostname(' api.example.io '), 'api.example.io');
  assert.equal(parseHostname('a-b.c-d.example'), 'a-b.c-d.example');
  const tooLong = Array.from({ length: 5 }, () => 'x'.repeat(60)).join('.');
  for (const host of ['localhost', '', 'a..b', '-a.example.com', 'a-.example.com', 'a_b.example.com', 'ex ample.com',
    'example.com/x', 'x.example.com:80', '*.example.com', 'éx.example.com', `${'x'.repeat(64)}.com`, tooLong, '.example.com', 'example.com.']) {
    assert.throws(() => parseHostname(host), (e) => isPaasError(e, 'E_DOMAIN_INVALID'), JSON.stringify(host));
  }
});

test('emails are trimmed and lowercased; malformed ones are refused', () => {
  assert.equal(parseEmail('Alice@Example.COM'), 'alice@example.com');
  assert.equal(parseEmail('  bob+paas@example.co.uk '), 'bob+paas@example.co.uk');
  for (const email of ['', 'alice', 'alice@', '@example.com', 'alice@example', 'a b@example.com', 'a@b@example.com',
    '<a@example.com>', 'a"@example.com', `${'x'.repeat(250)}@example.com`, undefined, 42]) {
    assert.throws(() => parseEmail(email), (e) => isPaasError(e, 'E_EMAIL_INVALID'), JSON.stringify(email));
  }
});
