// test/e2e/access-keys.test.ts — SSH keys through the local CLI and over SSH against a started platform: bad keys
// are refused with a clear message and change nothing, fingerprints match ssh-keygen, removed keys stop at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createUser, fixtureRepo, git, sshEnv, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { sshCli, sshRaw } from '../support/access.ts';
import { dsaPublicKey, keygen, sshKeygenFingerprint, truncatedKey } from '../support/keys.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let bob: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  await createUser(p, 'admin@example.com', dir); // the first user is an admin; alice and bob are plain users
  [alice, bob] = await Promise.all([createUser(p, 'alice@example.com', dir), createUser(p, 'bob@example.com', dir)]);
});

after(async () => {
  await p?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const pub = (keyPath: string) => fs.readFileSync(`${keyPath}.pub`, 'utf8');

/** The fingerprints `keys` lists for a user, read over SSH with one of the user's keys. */
async function fingerprints(user: TestUser): Promise<string[]> {
  const r = await sshCli(p, user, ['keys']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.startsWith('SHA256:')).map((l) => l.split(/\s+/)[0]!);
}

/** The bad keys every path must refuse, each with the message the user sees. */
function badKeys(): Array<{ what: string; text: string; message: string }> {
  const ed = pub(keygen(dir, `bad-${Date.now()}`, 'ed25519'));
  return [
    { what: 'garbage', text: 'hello, this is not a key\n', message: 'Not an SSH public key this platform accepts: paste one line like "ssh-ed25519 AAAA... you@host" (ed25519, ecdsa, or rsa of 2048 bits or more)' },
    { what: 'truncated', text: truncatedKey(ed), message: 'That SSH public key is damaged or truncated: copy the whole line from the .pub file' },
    { what: 'private', text: fs.readFileSync(keygen(dir, `priv-${Date.now()}`, 'ed25519'), 'utf8'), message: 'That is a private key. Never share it: add the public key instead (the .pub file, for example ~/.ssh/id_ed25519.pub)' },
    { what: 'DSA', text: dsaPublicKey(dir, `dsa-${Date.now()}`), message: 'DSA keys are refused: they are insecure. Use an ed25519 key: ssh-keygen -t ed25519' },
    { what: 'RSA-1024', text: pub(keygen(dir, `rsa1024-${Date.now()}`, 'rsa', 1024)), message: 'RSA keys must have at least 2048 bits; this one has 1024. Use an ed25519 key: ssh-keygen -t ed25519' },
    { what: 'empty', text: '\n', message: 'No key on standard input: keys:add < ~/.ssh/id_ed25519.pub' },
    { what: 'two keys', text: ed + pub(keygen(dir, `second-${Date.now()}`, 'ed25519')), message: 'Give one public key at a time (one line)' },
  ];
}

test('keys lists SHA256 fingerprints identical to ssh-keygen -lf, over SSH and locally', async () => {
  const expected = sshKeygenFingerprint(`${alice.keyPath}.pub`).fingerprint;
  const overSsh = await sshCli(p, alice, ['keys']);
  assert.equal(overSsh.code, 0, overSsh.stderr);
  assert.match(overSsh.stdout, /^=== alice@example\.com SSH keys$/m);
  assert.match(overSsh.stdout, new RegExp(`^${expected.replace(/[+/]/g, '\\$&')}\\s+ed25519-256\\s+alice@example\\.com\\s+added `, 'm'));
  const local = await p.cli(['keys', 'alice@example.com']);
  assert.equal(local.code, 0, local.stderr);
  assert.deepEqual(local.stdout.split('\n').filter((l) => l.startsWith('SHA256:')).map((l) => l.split(/\s+/)[0]), [expected]);
});

test('every accepted key type added over SSH shows ssh-keygen\'s fingerprint and can sign in', async () => {
  const types: Array<[string, string, number | undefined, string]> = [
    ['alice-ecdsa256', 'ecdsa', 256, 'ecdsa-sha2-nistp256'], ['alice-ecdsa384', 'ecdsa', 384, 'ecdsa-sha2-nistp384'],
    ['alice-ecdsa521', 'ecdsa', 521, 'ecdsa-sha2-nistp521'], ['alice-rsa2048', 'rsa', 2048, 'ssh-rsa'], ['alice-ed2', 'ed25519', undefined, 'ssh-ed25519'],
  ];
  await Promise.all(types.map(async ([name, type, bits, sshType]) => {
    const key = keygen(dir, name, type, bits, `${name} laptop`);
    const fp = sshKeygenFingerprint(`${key}.pub`).fingerprint;
    const r = await sshCli(p, alice, ['keys:add'], pub(key));
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, `Added ${sshType} key ${fp} (${name} laptop) for alice@example.com\n`);
    const signIn = await sshCli(p, key, ['keys']);
    assert.equal(signIn.code, 0, `${name} cannot sign in: ${signIn.stderr}`);
    assert.ok(signIn.stdout.includes(fp), name);
  }));
  assert.equal((await fingerprints(alice)).length, 6);
});

test('bad keys through the local CLI are refused with a clear message, and keys are unchanged', async () => {
  const before = await fingerprints(alice);
  const cases = badKeys();
  const results = await Promise.all(cases.map((c) => p.cli(['keys:add', 'alice@example.com'], c.text)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i]!.what}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, ` !     ${cases[i]!.message}\n`, cases[i]!.what);
    assert.equal(r.stdout, '', cases[i]!.what);
  });
  assert.deepEqual(await fingerprints(alice), before);
});

test('bad keys over SSH (keys:add < file) are refused the same way, and keys are unchanged', async () => {
  const before = await fingerprints(alice);
  const cases = badKeys();
  const results = await Promise.all(cases.map((c) => sshCli(p, alice, ['keys:add'], c.text)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i]!.what}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, ` !     ${cases[i]!.message}\n`, cases[i]!.what);
  });
  assert.deepEqual(await fingerprints(alice), before);
});

test('a key already registered is refused with E_KEY_EXISTS, for its owner and for anyone else', async () => {
  const [aliceBefore, bobBefore] = [await fingerprints(alice), await fingerprints(bob)];
  const fp = sshKeygenFingerprint(`${alice.keyPath}.pub`).fingerprint;
  const message = ` !     The key ${fp} is already registered\n`;
  const again = await sshCli(p, alice, ['keys:add'], pub(alice.keyPath));
  assert.equal(again.code, 1);
  assert.equal(again.stderr, message);
  const byBob = await sshCli(p, bob, ['keys:add'], pub(alice.keyPath));
  assert.equal(byBob.code, 1);
  assert.equal(byBob.stderr, message);
  const local = await p.cli(['keys:add', 'bob@example.com'], pub(alice.keyPath));
  assert.equal(local.code, 1);
  assert.equal(local.stderr, message);
  assert.deepEqual(await fingerprints(alice), aliceBefore);
  assert.deepEqual(await fingerprints(bob), bobBefore);
  assert.equal((await sshCli(p, alice, ['apps'])).code, 0, 'the key still signs in as alice');
});

test("a user cannot list, add or remove another user's keys, nor make their tokens, over SSH", async () => {
  const aliceBefore = await fingerprints(alice);
  const aliceFp = sshKeygenFingerprint(`${alice.keyPath}.pub`).fingerprint;
  const forbidden = ' !     You can only manage your own account\n';
  const list = await sshCli(p, bob, ['keys', 'alice@example.com']);
  assert.equal(list.code, 1);
  assert.equal(list.stderr, forbidden);
  assert.equal(list.stdout, '');
  const add = await sshCli(p, bob, ['keys:add', 'alice@example.com'], pub(keygen(dir, 'bob-for-alice', 'ed25519')));
  assert.equal(add.code, 1);
  assert.equal(add.stderr, forbidden);
  const removeNamed = await sshCli(p, bob, ['keys:remove', aliceFp, 'alice@example.com']);
  assert.equal(removeNamed.code, 1);
  assert.equal(removeNamed.stderr, forbidden);
  const removeOwn = await sshCli(p, bob, ['keys:remove', aliceFp]);
  assert.equal(removeOwn.code, 1);
  assert.equal(removeOwn.stderr, ` !     You have no key with the fingerprint ${aliceFp}; list them with: keys\n`);
  const tokens = await sshCli(p, bob, ['tokens', 'alice@example.com']);
  assert.equal(tokens.code, 1);
  assert.equal(tokens.stderr, forbidden);
  const token = await sshCli(p, bob, ['tokens:create', 'alice@example.com']);
  assert.equal(token.code, 1);
  assert.equal(token.stderr, forbidden);
  assert.equal(token.stdout, '', 'no token may be printed');
  assert.deepEqual(await fingerprints(alice), aliceBefore);
});

test('a removed key stops working at once, for commands and for git', async () => {
  const key = keygen(dir, 'alice-temp', 'ed25519');
  const fp = sshKeygenFingerprint(`${key}.pub`).fingerprint;
  assert.equal((await sshCli(p, alice, ['keys:add'], pub(key))).code, 0);
  assert.equal((await sshCli(p, alice, ['apps:create', 'keyed'])).code, 0);
  assert.equal((await sshCli(p, key, ['apps'])).code, 0, 'the new key signs in');

  const removed = await sshCli(p, key, ['keys:remove', fp]); // the key removes itself
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, `Removed key ${fp}\n`);

  const after = await sshRaw(p, key, 'apps', { options: ['-o', 'LogLevel=INFO'] });
  assert.equal(after.code, 255);
  assert.match(after.stderr, /Permission denied \(publickey\)/);
  const push = await git(await fixtureRepo('static', dir), sshEnv(key), 'push', `ssh://git@127.0.0.1:${p.sshPort}/keyed.git`, 'main');
  assert.equal(push.code, 128);
  assert.match(push.stderr, /Permission denied \(publickey\)/);
  assert.ok(!(await fingerprints(alice)).includes(fp));
  assert.equal((await sshCli(p, alice, ['apps'])).code, 0, "alice's other keys still work");
});

test('the operator removes a key locally by fingerprint; it stops working at once', async () => {
  const key = keygen(dir, 'bob-temp', 'ecdsa', 256);
  const fp = sshKeygenFingerprint(`${key}.pub`).fingerprint;
  assert.equal((await p.cli(['keys:add', 'bob@example.com'], pub(key))).code, 0);
  assert.equal((await sshCli(p, key, ['apps'])).code, 0);
  const wrongUser = await p.cli(['keys:remove', fp, 'alice@example.com']);
  assert.equal(wrongUser.code, 1);
  assert.match(wrongUser.stderr, /^ !     You have no key with the fingerprint /);
  assert.equal((await sshCli(p, key, ['apps'])).code, 0, 'a failed removal must not remove the key');
  const r = await p.cli(['keys:remove', fp, 'bob@example.com']);
  assert.equal(r.code, 0, r.stderr);
  const denied = await sshCli(p, key, ['apps']);
  assert.equal(denied.code, 255);
  assert.equal((await sshCli(p, bob, ['apps'])).code, 0);
});
