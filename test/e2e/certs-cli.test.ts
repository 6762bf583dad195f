// test/e2e/certs-cli.test.ts — the certs commands against a started platform, over the real OpenSSH client and the
// local CLI: an upload as one PEM bundle on standard input (the only way over SSH) or as two files (locally), the
// per-host table, the redirect and HSTS switches, and hostile input (another user's app, garbage, a huge stdin,
// `certs:redirect APP maybe`, unknown flags) refused with ` !     ` lines and exit 1, the key never printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createUser, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { sshCli } from '../support/access.ts';
import { selfSigned } from '../support/pebble.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let bob: TestUser;
let certFile: string;
let keyFile: string;
let bundle: string;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  await createUser(p, 'admin@example.com', dir);
  [alice, bob] = await Promise.all([createUser(p, 'alice@example.com', dir), createUser(p, 'bob@example.com', dir)]);
  assert.equal((await sshCli(p, alice, ['apps:create', 'alpha'])).code, 0);
  assert.equal((await sshCli(p, alice, ['domains:add', 'alpha', 'www.alpha.example'])).code, 0);
  [certFile, keyFile] = await selfSigned(dir, 'alpha', 30, 'DNS:www.alpha.example,DNS:*.alpha.example', 'www.alpha.example');
  bundle = fs.readFileSync(certFile, 'utf8') + fs.readFileSync(keyFile, 'utf8');
});

after(async () => {
  await p?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const keyBody = () => fs.readFileSync(keyFile, 'utf8').split('\n')[1]!;

test('certs:add over SSH takes one PEM bundle on stdin; certs shows each host; redirect and HSTS switch', async () => {
  const added = await sshCli(p, alice, ['certs:add', 'alpha'], bundle);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^Added a certificate for www\.alpha\.example, \*\.alpha\.example to alpha \(expires \d{4}-\d\d-\d\d\)\nIt serves: www\.alpha\.example\n$/);
  assert.doesNotMatch(added.stdout + added.stderr, new RegExp(keyBody().slice(0, 20).replace(/[+/]/g, '\\$&')));
  assert.equal((await sshCli(p, alice, ['certs:redirect', 'alpha', 'on'])).stdout, 'HTTP→HTTPS redirect is on for alpha\n');
  assert.equal((await sshCli(p, alice, ['certs:hsts', 'alpha', 'off'])).stdout, 'HSTS is off for alpha\n');
  const shown = await sshCli(p, alice, ['certs', 'alpha']);
  assert.equal(shown.code, 0, shown.stderr);
  const lines = shown.stdout.split('\n');
  assert.equal(lines[0], '=== alpha certificates');
  assert.equal(lines[1], 'no HTTPS port (PAAS_ROUTER_TLS_PORT unset): apps are served over HTTP only');
  assert.match(shown.stdout, /alpha\.localhost\s+-\s+none: no HTTPS port \(PAAS_ROUTER_TLS_PORT unset\)/);
  assert.match(shown.stdout, /www\.alpha\.example\s+uploaded\s+issued, expires \d{4}-\d\d-\d\d/);
  assert.match(shown.stdout, /Redirect HTTP→HTTPS: on {3}HSTS: off/);
});

test('certs:add locally takes the certificate and key files; certs:remove removes the upload', async () => {
  const added = await p.cli(['certs:add', 'alpha', certFile, keyFile]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /Added a certificate for www\.alpha\.example/);
  const removed = await p.cli(['certs:remove', 'alpha']);
  assert.equal(removed.stdout, "Removed alpha's uploaded certificate\n");
  const again = await p.cli(['certs:remove', 'alpha']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, ' !     alpha has no uploaded certificate\n');
});

test('hostile: certs commands on another user\'s app, garbage PEM, a huge stdin, files over SSH, "maybe" and unknown flags are refused with exit 1', async () => {
  const cases: Array<[string[], string | undefined, RegExp]> = [
    [['certs:add', 'alpha'], bundle, /^ {1}!     App "alpha" not found, or you have no access to it\n$/],
    [['certs', 'alpha'], undefined, /^ {1}!     App "alpha" not found, or you have no access to it\n$/],
    [['certs:redirect', 'alpha', 'off'], undefined, /^ {1}!     App "alpha" not found, or you have no access to it\n$/],
  ];
  for (const [argv, stdin, expected] of cases) {
    const r = await sshCli(p, bob, argv, stdin);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.stderr, expected, argv.join(' '));
  }
  const mine: Array<[string[], string | undefined, RegExp]> = [
    [['certs:add', 'alpha'], 'not a pem at all\n', /^ {1}!     Standard input holds no PEM certificate\. Usage: certs:add APP < bundle\.pem\n$/],
    [['certs:add', 'alpha'], fs.readFileSync(certFile, 'utf8'), /exactly one private key \(found 0\)/],
    [['certs:add', 'alpha'], 'x'.repeat(70 * 1024), /^ {1}!     Standard input is larger than 65536 bytes\n$/],
    [['certs:add', 'alpha', '/etc/passwd', '/etc/shadow'], undefined, /^ {1}!     Over SSH, pipe one PEM file holding the chain and then the key: certs:add APP < bundle\.pem\n$/],
    [['certs:redirect', 'alpha', 'maybe'], undefined, /^ {1}!     certs:redirect takes on or off, not "maybe"\. Usage: certs:redirect APP on\|off\n$/],
    [['certs:hsts', 'alpha', 'on', '--force'], undefined, /^ {1}!     Unknown flag --force\. Usage: /],
    [['certs:hsts', 'alpha'], undefined, /^ {1}!     Missing on or off\. Usage: certs:hsts APP on\|off\n$/],
  ];
  for (const [argv, stdin, expected] of mine) {
    const r = await sshCli(p, alice, argv, stdin);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.stderr, expected, argv.join(' '));
    assert.equal(r.stdout, '', argv.join(' '));
  }
  const shown = await sshCli(p, alice, ['certs', 'alpha']);
  assert.match(shown.stdout, /Redirect HTTP→HTTPS: on/, 'maybe changed nothing');
  const local = await p.cli(['certs:redirect', 'alpha', 'maybe']);
  assert.equal(local.code, 1);
  assert.match(local.stderr, /certs:redirect takes on or off, not "maybe"/);
});

test('--help lists the certs commands over SSH and locally', async () => {
  for (const r of [await sshCli(p, alice, ['--help']), await p.cli(['--help'])]) {
    for (const name of ['certs APP', 'certs:add APP', 'certs:remove APP', 'certs:redirect APP on|off', 'certs:hsts APP on|off']) assert.ok(r.stdout.includes(`  ${name}`), name);
  }
});
