// test/support/keys.ts — SSH keys for tests, made by the real ssh-keygen (and a hand-built DSA line for machines
// whose ssh-keygen no longer makes DSA keys). Used by the key unit tests and the access e2e tests.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Makes a key pair with ssh-keygen in dir; returns the private key path (the public key is path + '.pub'). */
export function keygen(dir: string, name: string, type: string, bits?: number, comment = `${name}@test`): string {
  const file = path.join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', comment, '-f', file, ...(bits ? ['-b', String(bits)] : [])];
  execFileSync('ssh-keygen', args, { stdio: 'pipe' });
  return file;
}

/** What `ssh-keygen -lf FILE` prints: "<bits> SHA256:<fp> <comment> (<TYPE>)", parsed. */
export function sshKeygenFingerprint(file: string): { bits: number; fingerprint: string } {
  const out = execFileSync('ssh-keygen', ['-E', 'sha256', '-lf', file], { encoding: 'utf8' });
  const m = /^(\d+) (SHA256:[A-Za-z0-9+/]+) /.exec(out);
  if (!m) throw new Error(`unexpected ssh-keygen -lf output: ${out}`);
  return { bits: Number(m[1]), fingerprint: m[2]! };
}

function sshString(buf: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

/** A random positive mpint of `bytes` bytes, with the leading zero byte RFC 4251 wants when the high bit is set. */
function mpint(bytes: number): Buffer {
  const n = crypto.randomBytes(bytes);
  n[0] = n[0]! | 0x80;
  return sshString(Buffer.concat([Buffer.from([0]), n]));
}

/** A syntactically valid "ssh-dss" public key line: string "ssh-dss" and the mpints p, q, g, y. */
export function handMadeDsaLine(comment = 'dsa@handmade'): string {
  const blob = Buffer.concat([sshString(Buffer.from('ssh-dss')), mpint(128), mpint(20), mpint(128), mpint(128)]);
  return `ssh-dss ${blob.toString('base64')} ${comment}`;
}

/** A DSA public key line: from ssh-keygen when it still makes DSA keys, else hand-built. */
export function dsaPublicKey(dir: string, name = 'dsa'): string {
  try {
    return fs.readFileSync(`${keygen(dir, name, 'dsa')}.pub`, 'utf8');
  } catch {
    return handMadeDsaLine() + '\n';
  }
}

/** The public key line cut in the middle of its base64, as a bad copy-paste would. */
export function truncatedKey(line: string): string {
  const [type, b64, ...comment] = line.trim().split(' ');
  return [type, b64!.slice(0, Math.floor(b64!.length / 2)), ...comment].join(' ') + '\n';
}
