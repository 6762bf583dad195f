// test/e2e/first-run.test.ts — a fresh platform started as `npm start` does: the start banner's one-time set-up
// link (a restart prints a new one and the old stops working), `users:create` taking the password on standard input
// (never in argv, where `ps` shows it), an invite made with the local CLI, and single-tenant mode over SSH.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createUser, startPlatform, tempDir, type Platform } from '../support/platform.ts';
import { sshCli } from '../support/access.ts';

let dir: string;
let p: Platform;

before(async () => {
  dir = tempDir();
  p = await startPlatform({ dataDir: `${dir}/data` });
});

after(async () => {
  await p?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const setupLink = (out: string) => /First admin:\s+open (http:\/\/\S+\/setup\?token=[\w-]+) /.exec(out)?.[1];
const status = async (url: string) => (await fetch(url, { redirect: 'manual' })).status;
const local = (link: string) => link.replace(/^http:\/\/localhost:/, 'http://127.0.0.1:');

/** Signs in through the dashboard's form (anonymous CSRF cookie and token first); returns the status. */
async function signIn(email: string, password: string): Promise<number> {
  const form = await fetch(`http://127.0.0.1:${p.httpPort}/signin`);
  const cookie = (form.headers.getSetCookie()).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const r = await fetch(`http://127.0.0.1:${p.httpPort}/signin`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ email, password, _csrf: csrf }),
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
  return r.status;
}

test('a fresh install prints a one-time set-up link; a restart prints a new one and the old one stops working', async () => {
  const first = setupLink(p.output());
  assert.ok(first, `no set-up link in:\n${p.output()}`);
  assert.equal(await status(local(first)), 200);
  const schema = p.env.PAAS_DB_SCHEMA;
  await p.stop();
  p = await startPlatform({ dataDir: p.dataDir, schema });
  const second = setupLink(p.output());
  assert.ok(second && second !== first, 'a new link');
  assert.equal(await status(local(first.replace(/:\d+\//, `:${p.httpPort}/`))), 403, 'the old link is refused');
  assert.equal(await status(local(second)), 200);
});

test('users:create refuses --password (ps shows argv) and takes the password on standard input; the link is then gone', async () => {
  const refused = await p.cli(['users:create', 'admin@example.com', '--password', 'correct-horse']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^ !     --password is not accepted: every user of this machine can read it in ps\. Pipe the password on standard input/);
  const created = await p.cli(['users:create', 'admin@example.com'], 'from-stdin-pw\n');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created user admin@example.com (admin)\n', 'the first user is the admin; no password is echoed');
  assert.equal(await signIn('admin@example.com', 'from-stdin-pw'), 303);
  assert.equal(await status(local(setupLink(p.output())!)), 404, '/setup is gone once an admin exists');
  const generated = await p.cli(['users:create', 'bob@example.com']);
  assert.equal(generated.code, 0, generated.stderr);
  const password = /^Password: (\S+)$/m.exec(generated.stdout)?.[1];
  assert.ok(password, generated.stdout);
  assert.equal(await signIn('bob@example.com', password), 303);
});

test('invites:create prints a single-use link that opens the sign-up form', async () => {
  const r = await p.cli(['invites:create', '--hours', '2']);
  assert.equal(r.code, 0, r.stderr);
  const link = /^(http:\/\/localhost:\d+\/signup\?invite=[\w-]+)$/m.exec(r.stdout)?.[1];
  assert.ok(link, r.stdout);
  const page = await fetch(local(link));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /You were invited to this platform/);
  assert.equal(await status(`http://127.0.0.1:${p.httpPort}/signup`), 403, 'without an invite, sign-ups are closed');
});

test('single-tenant mode (PAAS_ISOLATION=none): a warning at start names bubblewrap, sign-ups are closed, /readyz says so, and apps:create over SSH by a non-admin is refused', async () => {
  const solo = await startPlatform({ env: { PAAS_ISOLATION: 'none' } });
  try {
    assert.match(solo.output(), /WARNING: single-tenant mode: .*install the Debian package bubblewrap/);
    const ready = await fetch(`http://127.0.0.1:${solo.httpPort}/readyz`);
    assert.deepEqual(await ready.json(), { ok: true, isolation: { mode: 'none', reason: 'PAAS_ISOLATION=none' } });
    const admin = await createUser(solo, 'admin@example.com', dir);
    const bob = await createUser(solo, 'bob@example.com', dir);
    assert.equal(await status(`http://127.0.0.1:${solo.httpPort}/signup`), 403, 'sign-ups are closed');
    const refused = await sshCli(solo, bob, ['apps:create', 'bobs']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, ' !     This platform runs in single-tenant mode (PAAS_ISOLATION=none): apps are not sandboxed, so only admins can create them\n');
    const made = await sshCli(solo, admin, ['apps:create', 'mine']);
    assert.equal(made.code, 0, made.stderr);
    assert.doesNotMatch((await sshCli(solo, admin, ['apps'])).stdout, /bobs/);
  } finally {
    await solo.destroy();
  }
});
