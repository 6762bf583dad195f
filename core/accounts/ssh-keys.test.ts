// core/accounts/ssh-keys.test.ts — unit tests for the SSH public key boundary, against keys the real ssh-keygen makes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPaasError } from '../errors.ts';
import { parsePublicKey } from './ssh-keys.ts';
import { dsaPublicKey, handMadeDsaLine, keygen as keygenIn, sshKeygenFingerprint, truncatedKey } from '../../test/support/keys.ts';

let dir = '';
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-keys-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Makes a key pair in this file's temp dir; returns the private key path. */
const keygen = (name: string, type: string, bits?: number, comment?: string) => keygenIn(dir, name, type, bits, comment);

const accepted: Array<{ type: string; bits?: number; sshType: string; expectBits: number }> = [
  { type: 'ed25519', sshType: 'ssh-ed25519', expectBits: 256 },
  { type: 'ecdsa', bits: 256, sshType: 'ecdsa-sha2-nistp256', expectBits: 256 },
  { type: 'ecdsa', bits: 384, sshType: 'ecdsa-sha2-nistp384', expectBits: 384 },
  { type: 'ecdsa', bits: 521, sshType: 'ecdsa-sha2-nistp521', expectBits: 521 },
  { type: 'rsa', bits: 2048, sshType: 'ssh-rsa', expectBits: 2048 },
  { type: 'rsa', bits: 4096, sshType: 'ssh-rsa', expectBits: 4096 },
];

for (const k of accepted) {
  test(`${k.type}${k.bits ? `-${k.bits}` : ''} is accepted with ssh-keygen's fingerprint and size`, () => {
    const file = keygen(`${k.type}${k.bits ?? ''}`, k.type, k.bits, `user+${k.type}@laptop`);
    const line = fs.readFileSync(`${file}.pub`, 'utf8');
    const info = parsePublicKey(line);
    const expected = sshKeygenFingerprint(`${file}.pub`);
    assert.equal(info.type, k.sshType);
    assert.equal(info.fingerprint, expected.fingerprint);
    assert.equal(info.bits, expected.bits);
    assert.equal(info.bits, k.expectBits);
    assert.equal(info.comment, `user+${k.type}@laptop`);
    assert.equal(info.publicKey, line.trim().split(' ').slice(0, 2).join(' '));
  });
}

test('a comment with spaces is kept whole, and no comment is an empty one', () => {
  const file = keygen('spaced', 'ed25519', undefined, 'Alice Smith work laptop');
  const line = fs.readFileSync(`${file}.pub`, 'utf8');
  assert.equal(parsePublicKey(line).comment, 'Alice Smith work laptop');
  assert.equal(parsePublicKey(line.split(' ').slice(0, 2).join(' ')).comment, '');
  assert.equal(parsePublicKey(`  ${line.trim()}\n\n`).fingerprint, sshKeygenFingerprint(`${file}.pub`).fingerprint);
});

test('RSA below 2048 bits is refused as weak', () => {
  const line = fs.readFileSync(`${keygen('rsa1024', 'rsa', 1024)}.pub`, 'utf8');
  assert.throws(() => parsePublicKey(line), (e) => isPaasError(e, 'E_KEY_WEAK') && /at least 2048 bits; this one has 1024/.test(e.message));
});

test('DSA is refused as weak (from ssh-keygen or hand-built)', () => {
  assert.throws(() => parsePublicKey(dsaPublicKey(dir)), (e) => isPaasError(e, 'E_KEY_WEAK') && /DSA keys are refused/.test(e.message));
  assert.throws(() => parsePublicKey(handMadeDsaLine()), (e) => isPaasError(e, 'E_KEY_WEAK'));
});

test('the hand-built DSA line is one ssh-keygen reads as DSA (when this ssh-keygen still knows DSA)', (t) => {
  const file = path.join(dir, 'handmade_dsa.pub');
  fs.writeFileSync(file, handMadeDsaLine() + '\n');
  let out: string;
  try {
    out = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    t.skip('this ssh-keygen cannot read DSA keys');
    return;
  }
  assert.match(out, /^1024 SHA256:\S+ dsa@handmade \(DSA\)$/m);
});

test('a private key is refused with E_KEY_PRIVATE, in OpenSSH and PEM formats', () => {
  const openssh = fs.readFileSync(keygen('priv', 'ed25519'), 'utf8');
  assert.match(openssh, /BEGIN OPENSSH PRIVATE KEY/);
  assert.throws(() => parsePublicKey(openssh), (e) => isPaasError(e, 'E_KEY_PRIVATE') && /add the public key instead/.test(e.message));
  const pemFile = path.join(dir, 'pem');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', pemFile], { stdio: 'pipe' });
  const pem = fs.readFileSync(pemFile, 'utf8');
  assert.match(pem, /BEGIN RSA PRIVATE KEY/);
  assert.throws(() => parsePublicKey(pem), (e) => isPaasError(e, 'E_KEY_PRIVATE'));
});

test('garbage is refused with E_KEY_INVALID', () => {
  for (const text of ['', 'hello', 'ssh-ed25519', 'ssh-ed25519 !!!notbase64!!!', 'AAAAC3NzaC1lZDI1NTE5AAAAI', 'ssh-foo AAAA x',
    '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----', '\u0000\u0001binary']) {
    assert.throws(() => parsePublicKey(text), (e) => isPaasError(e, 'E_KEY_INVALID'), JSON.stringify(text));
  }
});

test('a truncated key (half its base64) is refused with E_KEY_INVALID', () => {
  for (const [name, type, bits] of [['trunc-ed', 'ed25519'], ['trunc-ec', 'ecdsa', 256], ['trunc-rsa', 'rsa', 2048]] as const) {
    const line = fs.readFileSync(`${keygen(name, type, bits)}.pub`, 'utf8');
    assert.throws(() => parsePublicKey(truncatedKey(line)),
      (e) => isPaasError(e, 'E_KEY_INVALID') && /damaged or truncated/.test(e.message), name);
  }
});

test('a key whose blob type disagrees with the line type is refused', () => {
  const ed = fs.readFileSync(`${keygen('mismatch', 'ed25519')}.pub`, 'utf8').split(' ')[1]!;
  assert.throws(() => parsePublicKey(`ssh-rsa ${ed}`), (e) => isPaasError(e, 'E_KEY_INVALID'));
});
