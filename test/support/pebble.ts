// test/support/pebble.ts — a private Let's Encrypt test CA for the ACME tests: Debian's pebble (the CA) and
// pebble-challtestsrv (its DNS: every name resolves to 127.0.0.1), on free loopback ports, with a serving certificate
// made by openssl. Validation is real (no PEBBLE_VA_ALWAYS_VALID): pebble fetches HTTP-01 tokens from challengePort.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { findFreePort } from '../../core/net.ts';
import { waitFor } from './wait.ts';

export interface Pebble {
  /** The ACME directory URL (https, on 127.0.0.1). */
  directory: string;
  /** A file holding the CA of pebble's own serving certificate: what PAAS_ACME_CA_FILE would name. */
  caFile: string;
  /** The PEM of that CA (pebble's self-signed serving certificate). */
  caPem: string;
  /** The root that signs the certificates pebble issues (from its management interface; new per start). */
  rootPem: string;
  /** Makes the test DNS answer SERVFAIL for host, so pebble cannot validate it (a failing challenge). */
  servfail(host: string): Promise<void>;
}

/** Runs a command (argv) to completion; throws with its output when it fails (the tests' openssl calls). */
export function runChecked(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${out}`))));
  });
}

/** A self-signed EC certificate for 127.0.0.1 and localhost, valid `days` days; returns [certFile, keyFile]. */
export async function selfSigned(dir: string, name: string, days: number, sans = 'IP:127.0.0.1,DNS:localhost', cn = 'localhost'): Promise<[string, string]> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await runChecked('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', String(days), '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${sans}`]);
  return [cert, key];
}

/** A self-signed certificate for `sans` (CN `cn`), as PEM text; its files go when the test ends. */
export async function selfSignedPem(t: Pick<TestContext, 'after'>, sans: string, cn = 'site', days = 30): Promise<{ cert: string; key: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cert-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [cert, key] = await selfSigned(dir, 'site', days, sans, cn);
  return { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

/**
 * Starts a process and resolves once a line of its output matches ready; rejects with its output if it exits first.
 * `busy` is set when it died because a port was taken (the caller picks new ports and retries).
 */
function startUntil(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d;
      if (ready.test(out)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.once('exit', (code) => reject(Object.assign(new Error(`${cmd} exited ${code} before it was ready: ${out}`), { busy: /address already in use/i.test(out) })));
  });
}

/** Retries start with fresh ports while a port it picked was taken between the pick and the bind. */
async function withFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err as { busy?: boolean }).busy || attempt >= 5) throw err;
    }
  }
}

function stopper(t: Pick<TestContext, 'after'>, child: ChildProcess): void {
  t.after(() => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  }));
}

/** GETs an https URL trusting ca; resolves with the body (rejects on a non-200). */
export function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}

/** Starts pebble-challtestsrv and pebble; both stop (and the temp dir goes) when the test ends. */
export async function startPebble(t: Pick<TestContext, 'after'>, opts: { challengePort: number }): Promise<Pebble> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-pebble-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [caFile, keyFile] = await selfSigned(dir, 'pebble', 2);
  const { dnsPort, dnsManagement } = await withFreshPorts(async () => {
    const [dns, management] = [await findFreePort(), await findFreePort()];
    const child = await startUntil('/usr/bin/pebble-challtestsrv', [
      '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-management', `127.0.0.1:${management}`, '-dns01', `127.0.0.1:${dns}`,
      '-http01', '', '-https01', '', '-tlsalpn01', '',
    ], process.env, /Starting management server/);
    stopper(t, child);
    return { dnsPort: dns, dnsManagement: management };
  });
  const { directory, managementPort } = await withFreshPorts(async () => {
    const [listen, management, tls] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const config = path.join(dir, `pebble-${listen}.json`);
    fs.writeFileSync(config, JSON.stringify({ pebble: {
      listenAddress: `127.0.0.1:${listen}`, managementListenAddress: `127.0.0.1:${management}`, certificate: caFile, privateKey: keyFile,
      httpPort: opts.challengePort, tlsPort: tls, ocspResponderURL: '', externalAccountBindingRequired: false,
    } }));
    const env = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };
    const child = await startUntil('/usr/bin/pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], env, /ACME directory available at/);
    stopper(t, child);
    return { directory: `https://127.0.0.1:${listen}/dir`, managementPort: management };
  });
  const caPem = fs.readFileSync(caFile, 'utf8');
  // pebble logs the directory's URL just before it binds: its first answer, over the TLS we trust, is the signal.
  await waitFor(() => httpsGet(directory, caPem), 10_000, `pebble's directory at ${directory}`);
  const rootPem = await httpsGet(`https://127.0.0.1:${managementPort}/roots/0`, caPem);
  const servfail = async (host: string): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${dnsManagement}/set-servfail`, { method: 'POST', body: JSON.stringify({ host: `${host}.` }) });
    if (!res.ok) throw new Error(`pebble-challtestsrv /set-servfail: ${res.status} ${await res.text()}`);
  };
  return { directory, caFile, caPem, rootPem, servfail };
}
