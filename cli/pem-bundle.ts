// cli/pem-bundle.ts — splits the one PEM file `certs:add APP < bundle.pem` reads from standard input (the only way
// over SSH) into the certificate chain and the private key. Pure; services/cert-validate.ts judges what comes out.
import { PaasError } from '../core/errors.ts';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The chain (every CERTIFICATE block, in order) and the one private key block of a bundle; E_USAGE otherwise. */
export function splitPemBundle(text: string, usage: string): { cert: string; key: string } {
  const blocks = [...text.matchAll(BLOCK)].map((m) => ({ label: m[1]!, pem: m[0] }));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (certs.length === 0) throw new PaasError('E_USAGE', `Standard input holds no PEM certificate. Usage: ${usage}`);
  // Never echo the input: its key is a secret.
  if (keys.length !== 1) throw new PaasError('E_USAGE', `Standard input must hold exactly one private key (found ${keys.length}), after the certificate chain. Usage: ${usage}`);
  return { cert: certs.map((b) => b.pem).join('\n') + '\n', key: keys[0]!.pem + '\n' };
}
