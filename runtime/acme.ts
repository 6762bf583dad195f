// runtime/acme.ts — the ACME client of the router's automatic HTTPS (local mode): one account per directory, one
// certificate per host over HTTP-01. Talks only to the ACME server; the account is kept and the challenge answered
// through what the caller (controller/certificates.ts) passes in. Wraps the acme-client library.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import acme from 'acme-client';
import { acmeEligibility } from '../core/cert-names.ts';

export { acmeEligibility };

/** Where HTTP-01 key authorizations go while an order runs: the router answers /.well-known/acme-challenge/<token>. */
export interface ChallengeSink {
  set(token: string, keyAuthorization: string): void | Promise<void>;
  remove(token: string): void | Promise<void>;
}

/** An ACME account as kept by the caller: its private key and its URL at the directory. */
export interface AcmeAccount { keyPem: string; url: string }

/** How the caller keeps the account (the database, for the platform). */
export interface AcmeAccountStore {
  load(): Promise<AcmeAccount | undefined>;
  save(account: AcmeAccount): Promise<void>;
}

export interface AcmeIssuerOptions {
  directory: string;
  email: string;
  /** Extra CA certificates (PEM) to trust for the directory's own TLS (PAAS_ACME_CA_FILE: a private ACME server). */
  caPem?: string;
  store: AcmeAccountStore;
  sink: ChallengeSink;
}

/** An issued certificate: the chain (leaf first) and its key, PEM, and when the leaf expires. */
export interface IssuedCertificate { certPem: string; keyPem: string; expiresAt: Date }

/** Orders certificates from one ACME directory, one host per order. */
export class AcmeIssuer {
  private readonly agent?: https.Agent;
  private client?: acme.Client;

  constructor(private readonly opts: AcmeIssuerOptions) {
    // A per-issuer agent: trusting a private CA here never changes what other HTTPS clients in the process trust.
    if (opts.caPem) this.agent = new https.Agent({ ca: opts.caPem, keepAlive: false });
  }

  /** Reads PAAS_ACME_CA_FILE's CA certificates. */
  static readCaFile(file: string): string {
    return fs.readFileSync(file, 'utf8');
  }

  /** Orders a certificate for host over HTTP-01 and returns it; throws with the CA's reason when the order fails. */
  async order(host: string): Promise<IssuedCertificate> {
    const eligibility = acmeEligibility(host);
    if (!eligibility.eligible) throw new Error(`${host} cannot get an ACME certificate: ${eligibility.reason}`);
    const client = await this.account();
    const keyPem = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const [, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, keyPem);
    const { sink } = this.opts;
    const certPem = await client.auto({
      csr, email: this.opts.email, termsOfServiceAgreed: true, challengePriority: ['http-01'],
      // The library's own pre-check fetches the challenge from this machine over public DNS and port 80: it proves
      // nothing the CA does not, and fails where the public name does not resolve here.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => { await sink.set(challenge.token, keyAuthorization); },
      challengeRemoveFn: async (_authz, challenge) => { await sink.remove(challenge.token); },
    });
    const leaf = new crypto.X509Certificate(certPem);
    return { certPem, keyPem, expiresAt: new Date(leaf.validTo) };
  }

  /** The client with the account: the stored one, or a new one registered and stored. */
  private async account(): Promise<acme.Client> {
    if (this.client) return this.client;
    const stored = await this.opts.store.load();
    if (stored) {
      this.client = this.newClient(stored.keyPem, stored.url);
      return this.client;
    }
    const keyPem = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const client = this.newClient(keyPem);
    await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${this.opts.email}`] });
    await this.opts.store.save({ keyPem, url: client.getAccountUrl() });
    // Another process may have saved first: use what is stored, so every process signs as one account.
    const kept = (await this.opts.store.load()) ?? { keyPem, url: client.getAccountUrl() };
    this.client = kept.keyPem === keyPem ? client : this.newClient(kept.keyPem, kept.url);
    return this.client;
  }

  private newClient(keyPem: string, accountUrl?: string): acme.Client {
    const client = new acme.Client({
      directoryUrl: this.opts.directory, accountKey: keyPem, accountUrl,
      // Poll the order's status every 1 s at first, up to 10 s apart (the library's default starts at 5 s).
      backoffAttempts: 12, backoffMin: 1000, backoffMax: 10_000,
    });
    wrapRequests(client, this.agent);
    return client;
  }
}

/**
 * Makes one client's requests use agent (when given), and names a network failure. acme-client sends every request
 * through its HttpClient's request() and a module-wide axios instance: setting the agent per call keeps the trust to
 * this client (no global default changes). After its retries, a request that got no response at all surfaces from
 * the library as a TypeError about `config`; the user is told what failed instead.
 */
function wrapRequests(client: acme.Client, agent: https.Agent | undefined): void {
  const http = (client as unknown as { http?: { request?: (url: string, method: string, opts?: Record<string, unknown>) => Promise<unknown> } }).http;
  const original = http?.request;
  if (!http || typeof original !== 'function') throw new Error('acme-client changed: cannot set the CA for the ACME directory (PAAS_ACME_CA_FILE)');
  http.request = async (url, method, opts = {}) => {
    try {
      // 30 s per request: the library sets no timeout, and one stalled connection would hold the order queue.
      return await original.call(http, url, method, { timeout: 30_000, ...opts, ...(agent ? { httpsAgent: agent } : {}) });
    } catch (err) {
      if (err instanceof TypeError && /reading 'config'/.test(err.message)) {
        throw new Error(`could not reach the ACME server at ${new URL(url).origin} (network or TLS failure; a private CA needs PAAS_ACME_CA_FILE)`);
      }
      throw err;
    }
  };
}
