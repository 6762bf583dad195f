// services/certs.test.ts — uploaded certificates (certs:add) against hostile input, the per-host display, removal,
// the HTTPS options, and access: only users with access to an app can change its certificate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { isPaasError, type ErrorCode } from '../core/errors.ts';
import { addCertificate, getHttpsOptions, listCertificates, removeCertificate, setHttpsOptions } from './certs.ts';
import { MAX_CERT_INPUT_BYTES, validateUpload } from './cert-validate.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { runChecked, selfSigned } from '../test/support/pebble.ts';
import { deployedApp } from '../test/support/cert-apps.ts';

const operator = { kind: 'operator' } as const;
const read = (f: string): string => fs.readFileSync(f, 'utf8');

function tmp(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-certs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts fn throws the PaasError code, and that the message does not carry the key. */
function refuses(fn: () => unknown, code: ErrorCode, keyPem?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isPaasError(err, code), `expected ${code}, got ${(err as Error).message}`);
    if (keyPem) for (const line of keyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) assert.ok(!(err as Error).message.includes(line), 'the key is never echoed');
    return true;
  });
}

test('hostile: garbage, a key in the certificate field, an IP-only certificate and oversized input are refused with clear codes', async (t) => {
  const dir = tmp(t);
  const [cert, key] = await selfSigned(dir, 'ok', 30, 'DNS:shop.example.com', 'shop.example.com');
  refuses(() => validateUpload('hello', read(key)), 'E_CERT_INVALID');
  refuses(() => validateUpload('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', read(key)), 'E_CERT_INVALID');
  refuses(() => validateUpload(read(key), read(key)), 'E_CERT_INVALID', read(key));
  refuses(() => validateUpload(read(cert), 'not a key'), 'E_CERT_KEY_INVALID');
  refuses(() => validateUpload(read(cert), ''), 'E_CERT_INVALID');
  refuses(() => validateUpload(read(cert) + ' '.repeat(MAX_CERT_INPUT_BYTES), read(key)), 'E_INPUT_TOO_LARGE');
  refuses(() => validateUpload(read(cert), read(key) + '\n'.repeat(MAX_CERT_INPUT_BYTES)), 'E_INPUT_TOO_LARGE');
  refuses(() => validateUpload(read(cert).repeat(9), read(key)), 'E_CERT_INVALID');
  const [ipCert, ipKey] = await selfSigned(dir, 'ip', 30, 'IP:203.0.113.7', 'shop.example.com');
  refuses(() => validateUpload(read(ipCert), read(ipKey)), 'E_CERT_INVALID');
  const ok = validateUpload(read(cert), read(key));
  assert.deepEqual(ok.names, ['shop.example.com']);
});

test('hostile: a key that does not match, a weak or oversized RSA key, an odd EC curve, an encrypted key and an expired certificate are refused, never echoing the key', async (t) => {
  const dir = tmp(t);
  const [cert, key] = await selfSigned(dir, 'a', 30, 'DNS:a.example.com');
  const [, otherKey] = await selfSigned(dir, 'b', 30, 'DNS:b.example.com');
  refuses(() => validateUpload(read(cert), read(otherKey)), 'E_CERT_KEY_MISMATCH', read(otherKey));
  const weakKey = path.join(dir, 'weak.key'), weakCert = path.join(dir, 'weak.crt');
  await runChecked('openssl', ['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', weakKey, '-out', weakCert, '-days', '30', '-subj', '/CN=w', '-addext', 'subjectAltName=DNS:w.example.com']);
  refuses(() => validateUpload(read(weakCert), read(weakKey)), 'E_CERT_KEY_WEAK', read(weakKey));
  // A huge RSA key makes every handshake slow for everyone (a cheap way to tie up the router); browsers refuse secp256k1.
  for (const [name, keyArgs] of [['big', ['-newkey', 'rsa:4608']], ['k1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']]] as const) {
    const k = path.join(dir, `${name}.key`), c = path.join(dir, `${name}.crt`);
    await runChecked('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', k, '-out', c, '-days', '30', '-subj', '/CN=w', '-addext', 'subjectAltName=DNS:w.example.com']);
    refuses(() => validateUpload(read(c), read(k)), 'E_CERT_KEY_WEAK', read(k));
  }
  const encrypted = path.join(dir, 'enc.key');
  await runChecked('openssl', ['pkey', '-in', key, '-out', encrypted, '-aes256', '-passout', 'pass:secret']);
  refuses(() => validateUpload(read(cert), read(encrypted)), 'E_CERT_KEY_INVALID');
  refuses(() => validateUpload(read(cert), read(key), new Date(Date.now() + 40 * 86_400_000)), 'E_CERT_EXPIRED');
});

test('hostile: a chain out of order is refused; leaf first, then its issuer, is accepted', async (t) => {
  const dir = tmp(t);
  const [caCert, caKey] = await selfSigned(dir, 'ca', 30, 'DNS:ca.invalid', 'Test CA');
  const leafKey = path.join(dir, 'leaf.key'), csr = path.join(dir, 'leaf.csr'), leafCert = path.join(dir, 'leaf.crt');
  await runChecked('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', '/CN=shop', '-addext', 'subjectAltName=DNS:*.shop.example.com']);
  await runChecked('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '30', '-copy_extensions', 'copy', '-out', leafCert]);
  refuses(() => validateUpload(read(caCert) + read(leafCert), read(leafKey)), 'E_CERT_INVALID');
  const ok = validateUpload(read(leafCert) + read(caCert), read(leafKey));
  assert.deepEqual(ok.names, ['*.shop.example.com']);
  assert.equal(ok.certPem.match(/BEGIN CERTIFICATE/g)?.length, 2);
});

test('an upload is listed per host it covers (a wildcard covers one label), replaced by a new one, and removed', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  const dir = tmp(t);
  await deployedApp(db, 'shop', ['www.shop-example.org', 'a.b.apps.example.com']);
  const config = { baseDomain: 'apps.example.com', acme: { email: 'ops@example.com' } };
  const [cert, key] = await selfSigned(dir, 'w', 30, 'DNS:*.apps.example.com', 'w');
  const added = await addCertificate(db, operator, 'shop', read(cert), read(key), config.baseDomain);
  assert.deepEqual(added.hosts, ['shop.apps.example.com']);
  const listed = await listCertificates(db, operator, 'shop', config);
  const byHost = Object.fromEntries(listed.hosts.map((h) => [h.host, h]));
  assert.equal(byHost['shop.apps.example.com']!.source, 'upload');
  assert.equal(byHost['shop.apps.example.com']!.state, 'issued');
  assert.equal(byHost['a.b.apps.example.com']!.state, 'none', 'two labels deep is not covered by the wildcard');
  assert.equal(byHost['www.shop-example.org']!.state, 'none');
  assert.match(byHost['www.shop-example.org']!.note ?? '', /ordered/);
  assert.equal(JSON.stringify(listed).includes('PRIVATE KEY'), false, 'the listing never carries the key');
  assert.equal((await db('outbox').where({ subject: 'paas.domains.updated' })).length, 1, 'the upload asks the controller to re-sync');
  const [cert2, key2] = await selfSigned(dir, 'x', 30, 'DNS:www.shop-example.org', 'x');
  await addCertificate(db, operator, 'shop', read(cert2), read(key2), config.baseDomain);
  assert.equal((await db('certificates').where({ source: 'upload' })).length, 1);
  assert.deepEqual((await listCertificates(db, operator, 'shop', config)).upload?.names, ['www.shop-example.org']);
  await removeCertificate(db, operator, 'shop');
  await assert.rejects(removeCertificate(db, operator, 'shop'), (e: unknown) => isPaasError(e, 'E_CERT_NOT_FOUND'));
});

test('the display explains hosts that get no automatic certificate', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  await deployedApp(db, 'local', ['10.1.2.3']);
  const listed = await listCertificates(db, operator, 'local', { baseDomain: 'localhost', acme: { email: 'x@example.com' } });
  assert.match(listed.hosts[0]!.note ?? '', /localhost names/);
  assert.match(listed.hosts[1]!.note ?? '', /IP address/);
  const off = await listCertificates(db, operator, 'local', { baseDomain: 'apps.example.com' });
  assert.match(off.hosts[0]!.note ?? '', /PAAS_ACME_EMAIL/);
});

test('hostile: a user without access to an app cannot upload, remove or change its HTTPS options', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  const dir = tmp(t);
  await deployedApp(db, 'victim');
  const [u] = await db('users').insert({ email: 'mallory@example.com', password_hash: 'x' }).returning('id');
  const mallory = { kind: 'user', user: { id: (u as { id: number }).id, email: 'mallory@example.com', isAdmin: false, disabled: false } } as const;
  const [cert, key] = await selfSigned(dir, 'm', 30, 'DNS:victim.apps.example.com', 'm');
  const notFound = (e: unknown) => isPaasError(e, 'E_APP_NOT_FOUND');
  await assert.rejects(addCertificate(db, mallory, 'victim', read(cert), read(key), 'apps.example.com'), notFound);
  await assert.rejects(removeCertificate(db, mallory, 'victim'), notFound);
  await assert.rejects(setHttpsOptions(db, mallory, 'victim', { redirect: true }), notFound);
  assert.equal((await db('certificates')).length, 0);
});

test('HTTPS options: redirect and HSTS are off by default and change one at a time', async (t) => {
  const db = await openTestSchema(t, 'certs');
  if (!db) return;
  await deployedApp(db, 'shop');
  assert.deepEqual(await getHttpsOptions(db, operator, 'shop'), { redirect: false, hsts: false });
  assert.deepEqual(await setHttpsOptions(db, operator, 'shop', { redirect: true }), { redirect: true, hsts: false });
  assert.deepEqual(await setHttpsOptions(db, operator, 'shop', { hsts: true }), { redirect: true, hsts: true });
  assert.deepEqual(await getHttpsOptions(db, operator, 'shop'), { redirect: true, hsts: true });
});
