// services/cert-validate.ts — checks an uploaded certificate chain and private key (certs:add) before anything is
// stored: a parseable, ordered PEM chain, a matching and strong enough key, in date, with DNS names. Pure (no I/O);
// used by services/certs.ts. Hostile input lands here: messages never echo the key, and input size is capped.
import crypto from 'node:crypto';
import { PaasError } from '../core/errors.ts';

/** The largest certificate chain or key accepted, in bytes (a long chain of 4096-bit certificates is ~10 KiB). */
export const MAX_CERT_INPUT_BYTES = 64 * 1024;
/** The most certificates in a chain (leaf and intermediates). */
const MAX_CHAIN = 8;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;
const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** A validated upload: the chain (leaf first) and key as normalised PEM, the leaf's DNS names and validity. */
export interface ValidCertificate { certPem: string; keyPem: string; names: string[]; expiresAt: Date; notBefore: Date }

/** Validates an uploaded chain and key; throws E_INPUT_TOO_LARGE, E_CERT_INVALID, E_CERT_EXPIRED or E_CERT_KEY_* with a message for the user. */
export function validateUpload(rawCert: unknown, rawKey: unknown, now = new Date()): ValidCertificate {
  const certText = asText(rawCert, 'certificate');
  const keyText = asText(rawKey, 'private key');
  const chain = parseChain(certText);
  const leaf = chain[0]!;
  const notBefore = new Date(leaf.validFrom);
  const expiresAt = new Date(leaf.validTo);
  if (!(expiresAt.getTime() > now.getTime())) {
    throw new PaasError('E_CERT_EXPIRED', `The certificate expired on ${expiresAt.toISOString()}; upload a current one`);
  }
  if (notBefore.getTime() > now.getTime()) {
    throw new PaasError('E_CERT_INVALID', `The certificate is not valid before ${notBefore.toISOString()}; upload it once it is`);
  }
  const names = dnsNames(leaf);
  const key = parseKey(keyText);
  checkStrength(key, 'private key');
  checkStrength(leaf.publicKey, "certificate's public key");
  if (!leaf.checkPrivateKey(key)) {
    throw new PaasError('E_CERT_KEY_MISMATCH', 'The private key does not belong to the certificate (the first certificate of the file must be the one the key signs for)');
  }
  return {
    certPem: chain.map((c) => c.toString().trim()).join('\n') + '\n',
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    names, expiresAt, notBefore,
  };
}

function asText(raw: unknown, what: string): string {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
  if (typeof text !== 'string' || text.trim() === '') throw new PaasError('E_CERT_INVALID', `No ${what} was given (PEM text expected)`);
  if (Buffer.byteLength(text) > MAX_CERT_INPUT_BYTES) {
    throw new PaasError('E_INPUT_TOO_LARGE', `The ${what} is larger than ${MAX_CERT_INPUT_BYTES / 1024} KiB; a PEM file is far smaller`);
  }
  return text;
}

/** The PEM certificates of the file, leaf first, each issuing the one before it. */
function parseChain(text: string): crypto.X509Certificate[] {
  if (/PRIVATE KEY-----/.test(text)) {
    throw new PaasError('E_CERT_INVALID', 'The certificate file holds a private key; give the certificate chain and the key as two separate files');
  }
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new PaasError('E_CERT_INVALID', 'No PEM certificate found (expected -----BEGIN CERTIFICATE-----)');
  if (blocks.length > MAX_CHAIN) throw new PaasError('E_CERT_INVALID', `The chain has ${blocks.length} certificates; at most ${MAX_CHAIN} are accepted`);
  const chain = blocks.map((b, i) => {
    try {
      return new crypto.X509Certificate(b);
    } catch {
      throw new PaasError('E_CERT_INVALID', `Certificate ${i + 1} of the file could not be parsed (is it a PEM certificate?)`);
    }
  });
  chain.forEach((c, i) => {
    const next = chain[i + 1];
    // Names alone (checkIssued) could be copied into a forged chain; the signature cannot.
    if (next && (!c.checkIssued(next) || !c.verify(next.publicKey))) {
      throw new PaasError('E_CERT_INVALID', `Certificate ${i + 2} of the file did not issue certificate ${i + 1}: put the server's certificate first, then its intermediates in order`);
    }
  });
  return chain;
}

/** The leaf's DNS Subject Alternative Names (lowercase); IP addresses and other kinds are not served. */
function dnsNames(leaf: crypto.X509Certificate): string[] {
  const san = leaf.subjectAltName ?? '';
  const names = san.split(/,\s*/).filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).replace(/^"|"$/g, '').toLowerCase().replace(/\.$/, ''));
  const valid = [...new Set(names.filter((n) => DNS_NAME.test(n)))];
  if (valid.length === 0) {
    throw new PaasError('E_CERT_INVALID', 'The certificate names no DNS host (Subject Alternative Name); browsers ignore the Common Name, so it cannot be served');
  }
  return valid;
}

function parseKey(text: string): crypto.KeyObject {
  if (/ENCRYPTED/.test(text)) {
    throw new PaasError('E_CERT_KEY_INVALID', 'The private key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain-key.pem)');
  }
  try {
    return crypto.createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new PaasError('E_CERT_KEY_INVALID', 'The private key could not be read (expected an unencrypted PEM private key)');
  }
}

/** The EC curves browsers accept for TLS. */
const CURVES = new Set(['prime256v1', 'secp384r1']);

/**
 * RSA keys of 2048 to 4096 bits, or EC keys on P-256 or P-384: weaker ones, and curves browsers refuse, are no use;
 * a larger RSA key would let anyone tie up the router with a few handshakes a second (8192 bits signs ~100× slower).
 */
function checkStrength(key: crypto.KeyObject, what: string): void {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    if (CURVES.has(curve)) return;
    throw new PaasError('E_CERT_KEY_WEAK', `The ${what} is EC on ${curve}; use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits >= 2048 && bits <= 4096) return;
    throw new PaasError('E_CERT_KEY_WEAK', `The ${what} is RSA with ${bits} bits; use 2048 to 4096 bits`);
  }
  throw new PaasError('E_CERT_KEY_WEAK', `The ${what} is of type ${key.asymmetricKeyType ?? 'unknown'}; use RSA (2048 to 4096 bits) or EC (P-256 or P-384)`);
}
