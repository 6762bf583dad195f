// core/accounts/ssh-keys.ts — the security boundary for SSH public keys users paste: parse, refuse weak or
// private keys, and fingerprint exactly as `ssh-keygen -lf` prints it (SHA256:<base64 without padding>).
import crypto from 'node:crypto';
import ssh2 from 'ssh2';

const { utils } = ssh2;
import { PaasError } from '../errors.ts';

export interface PublicKeyInfo {
  type: string;          // e.g. ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa
  bits: number;          // key size as ssh-keygen reports it
  fingerprint: string;   // SHA256:...
  publicKey: string;     // "<type> <base64>", normalised, without comment
  comment: string;
}

const ECDSA_BITS: Record<string, number> = { 'ecdsa-sha2-nistp256': 256, 'ecdsa-sha2-nistp384': 384, 'ecdsa-sha2-nistp521': 521 };
const ALLOWED = new Set(['ssh-ed25519', 'ssh-rsa', ...Object.keys(ECDSA_BITS)]);

/** The SHA256 fingerprint of a key blob, as OpenSSH prints it. */
export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Reads the modulus size of an ssh-rsa blob (string type, mpint e, mpint n). */
function rsaBits(blob: Buffer): number {
  let off = 0;
  const next = (): Buffer => {
    const len = blob.readUInt32BE(off);
    const out = blob.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return out;
  };
  next(); next();
  const n = next();
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

/** Parses one OpenSSH public key line; throws E_KEY_PRIVATE, E_KEY_WEAK or E_KEY_INVALID with a clear message. */
export function parsePublicKey(text: string): PublicKeyInfo {
  const line = text.trim();
  if (/PRIVATE KEY/.test(line)) {
    throw new PaasError('E_KEY_PRIVATE', 'That is a private key. Never share it: add the public key instead (the .pub file, for example ~/.ssh/id_ed25519.pub)');
  }
  const fields = line.split(/\s+/);
  const [type = '', b64 = ''] = fields;
  if (type === 'ssh-dss') throw new PaasError('E_KEY_WEAK', 'DSA keys are refused: they are insecure. Use an ed25519 key: ssh-keygen -t ed25519');
  if (!ALLOWED.has(type)) {
    throw new PaasError('E_KEY_INVALID', 'Not an SSH public key this platform accepts: paste one line like "ssh-ed25519 AAAA... you@host" (ed25519, ecdsa, or rsa of 2048 bits or more)');
  }
  const parsed = utils.parseKey(`${type} ${b64}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.type !== type) {
    throw new PaasError('E_KEY_INVALID', 'That SSH public key is damaged or truncated: copy the whole line from the .pub file');
  }
  const blob = parsed.getPublicSSH();
  const bits = type === 'ssh-rsa' ? rsaBits(blob) : type === 'ssh-ed25519' ? 256 : ECDSA_BITS[type]!;
  if (type === 'ssh-rsa' && bits < 2048) {
    throw new PaasError('E_KEY_WEAK', `RSA keys must have at least 2048 bits; this one has ${bits}. Use an ed25519 key: ssh-keygen -t ed25519`);
  }
  return { type, bits, fingerprint: fingerprintOf(blob), publicKey: `${type} ${blob.toString('base64')}`, comment: fields.slice(2).join(' ') };
}
