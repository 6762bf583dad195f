// controller/certificates.ts — the router's certificates in local mode: which certificate each served host gets
// (an app's upload when it covers the host, else its ACME certificate), the ACME order queue (one at a time, never in
// a deploy's path), renewal and retry with backoff, and the platform's own host. Started by controller/controller.ts.
import type { Knex } from 'knex';
import { acmeEligibility, namesCover } from '../core/cert-names.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { AcmeIssuer, type IssuedCertificate } from '../runtime/acme.ts';
import type { CertificatePem, Router } from '../runtime/router.ts';
import { listDomains } from '../services/apps.ts';
import {
  acmeRow, allHttpsOptions, dropAcmeRowsExcept, dueAcmeRows, ensureAcmeRow, loadAcmeAccount, markFailed, markIssued,
  saveAcmeAccount, uploadedCertificate, type CertRow,
} from '../services/cert-store.ts';
import { appHosts } from '../services/certs.ts';
import { liveSpec } from '../services/release-spec.ts';
import type { AppRow } from '../core/access.ts';

/** The part of the router the manager drives. */
export type CertificateRouter = Pick<Router, 'setCertificate' | 'setChallenge' | 'setAppOptions' | 'setPlatformRoute'>;

/** Orders one host's certificate (runtime/acme.ts's AcmeIssuer; tests may pass their own). */
export interface Issuer { order(host: string): Promise<IssuedCertificate> }

export interface CertificateManagerOptions {
  db: Knex;
  config: Config;
  router: CertificateRouter;
  log: Logger;
  /** Default: an AcmeIssuer for config.acme (none when ACME is off). */
  issuer?: Issuer;
  now?: () => Date;
  /** How often due renewals and retries are looked for (default: hourly). */
  renewIntervalMs?: number;
  /** The first retry's delay after a failed order, doubling per failure up to backoffMaxMs (default 1 min, 12 h). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** The owner key of the platform's own host in the maps below (app names are never empty). */
const PLATFORM = '';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Keeps the router's certificates and edge options in step with the database, and orders ACME certificates. */
export class CertificateManager {
  private readonly issuer?: Issuer;
  private readonly now: () => Date;
  /** Who each host is served for now (an app's name, or PLATFORM), and by which kind of certificate. */
  private readonly owner = new Map<string, string>();
  private readonly servedBy = new Map<string, 'upload' | 'acme'>();
  /** When each app's served upload expires: the tick takes it out of the router then. */
  private readonly uploadExpiry = new Map<string, Date>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: CertificateManagerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.issuer = opts.issuer ?? (opts.config.acme ? this.defaultIssuer(opts.config.acme) : undefined);
  }

  /** Loads every app's certificates and options into the router, queues what is due, and starts the renewal timer. */
  async start(): Promise<void> {
    const { db, router } = this.opts;
    for (const o of await allHttpsOptions(db)) router.setAppOptions(o.name, { redirectHttps: o.redirect, hsts: o.hsts });
    await this.syncPlatform();
    for (const { name } of await db('apps').select('name')) await this.syncApp(name);
    await this.tick();
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => this.opts.log.warn({ err }, 'certificate renewal check failed')), this.opts.renewIntervalMs ?? 60 * 60 * 1000);
    this.timer.unref();
  }

  /** Stops the timer and the queue; an order in flight may finish (its result is kept) for up to 10 s. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.queue.length = 0;
    const grace = new Promise((r) => setTimeout(r, 10_000).unref());
    await Promise.race([this.running, grace]);
  }

  /** Resolves when no order is queued or running (tests; a clean stop). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Recomputes an app's hosts (`<app>.<base>` and its custom domains, once it has a live release with a web process)
   * and sets each one's certificate in the router; queues ACME orders for eligible hosts that lack a certificate.
   * A destroyed app's hosts are cleared.
   */
  async syncApp(name: string): Promise<void> {
    const { db, config, router } = this.opts;
    const app = (await db('apps').where({ name }).first()) as (AppRow & { https_redirect: boolean; hsts: boolean }) | undefined;
    if (!app) return this.removeApp(name);
    router.setAppOptions(name, { redirectHttps: app.https_redirect, hsts: app.hsts });
    const spec = await liveSpec(db, config, app);
    const hosts = spec?.processes.some((p) => p.type === 'web') ? appHosts(config.baseDomain, name, spec.domains ?? await listDomains(db, app.id)) : [];
    await dropAcmeRowsExcept(db, app.id, hosts);
    const upload = await uploadedCertificate(db, app.id);
    const uploadLive = upload?.expires_at && upload.expires_at > this.now() ? upload : undefined;
    this.release(name, hosts);
    if (uploadLive) this.uploadExpiry.set(name, uploadLive.expires_at!);
    else this.uploadExpiry.delete(name);
    for (const host of hosts) {
      this.owner.set(host, name);
      if (uploadLive && namesCover(uploadLive.names, host)) this.serve(host, 'upload', uploadLive);
      else await this.serveAcme(app.id, host);
    }
  }

  /** Stops serving certificates for a destroyed app's hosts (its rows went with it). */
  removeApp(name: string): void {
    this.release(name, []);
    this.uploadExpiry.delete(name);
    this.opts.router.setAppOptions(name, { redirectHttps: false, hsts: false });
  }

  /** Routes the platform's own host (PAAS_DOMAIN) to the web port, with its ACME certificate. */
  private async syncPlatform(): Promise<void> {
    const { db, config, router } = this.opts;
    const host = config.platformDomain;
    if (!host) return;
    router.setPlatformRoute([host], config.endpoints.httpPort);
    await dropAcmeRowsExcept(db, null, [host]);
    this.owner.set(host, PLATFORM);
    await this.serveAcme(null, host);
  }

  /** Clears the hosts an owner had that it no longer has, unless another owner took them meanwhile. */
  private release(name: string, keep: readonly string[]): void {
    for (const [host, owner] of this.owner) {
      if (owner !== name || keep.includes(host)) continue;
      this.owner.delete(host);
      this.servedBy.delete(host);
      this.opts.router.setCertificate(host, undefined);
    }
  }

  private serve(host: string, kind: 'upload' | 'acme', row: Pick<CertRow, 'cert_pem' | 'key_pem'>): void {
    this.servedBy.set(host, kind);
    this.opts.router.setCertificate(host, { cert: row.cert_pem!, key: row.key_pem! } satisfies CertificatePem);
  }

  /** Serves the host's ACME certificate when it has one in date; records and queues an order when one is due. */
  private async serveAcme(appId: number | null, host: string): Promise<void> {
    const { db, router } = this.opts;
    const row = await acmeRow(db, host);
    if (row?.cert_pem && row.expires_at && row.expires_at > this.now()) this.serve(host, 'acme', row);
    else {
      this.servedBy.delete(host);
      router.setCertificate(host, undefined);
    }
    if (!this.issuer || !acmeEligibility(host).eligible) return;
    const current = await ensureAcmeRow(db, appId, host);
    if (this.isDue(current)) this.enqueue(host);
  }

  private isDue(row: CertRow): boolean {
    const now = this.now().getTime();
    if (row.state === 'pending') return true;
    if (row.state === 'failed') return !row.next_attempt_at || row.next_attempt_at.getTime() <= now;
    return !row.expires_at || row.expires_at.getTime() < now + this.opts.config.acme!.renewDays * DAY_MS;
  }

  /** Takes expired uploads out of the router, and queues due renewals and retries of hosts still served. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    for (const [app, expiry] of [...this.uploadExpiry]) if (expiry <= now) await this.syncApp(app);
    if (!this.issuer) return;
    const renewBefore = new Date(now.getTime() + this.opts.config.acme!.renewDays * DAY_MS);
    for (const row of await dueAcmeRows(this.opts.db, now, renewBefore)) {
      // A host served with its app's upload needs no ACME certificate while the upload lasts.
      if (this.owner.has(row.host) && this.servedBy.get(row.host) !== 'upload') this.enqueue(row.host);
    }
  }

  private enqueue(host: string): void {
    if (this.stopped || this.queued.has(host)) return;
    this.queued.add(host);
    this.queue.push(host);
    this.kick();
  }

  /** Starts the drain unless one runs; a host queued as a drain ends is picked up by the next. */
  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Runs queued orders one at a time (a CA rate-limits per account, and one router answers every challenge). */
  private async drain(): Promise<void> {
    for (let host = this.queue.shift(); host !== undefined && !this.stopped; host = this.queue.shift()) {
      try {
        await this.order(host);
      } catch (err) {
        this.opts.log.error({ err, host }, 'certificate order could not be recorded');
      } finally {
        this.queued.delete(host);
      }
    }
  }

  /** Orders host's certificate; marks it issued and serves it, or marks it failed with the reason and a later retry. */
  private async order(host: string): Promise<void> {
    const { db, log } = this.opts;
    const row = await acmeRow(db, host);
    if (!row || !this.owner.has(host)) return; // the host went away while it waited
    let cert: IssuedCertificate;
    try {
      cert = await this.issuer!.order(host);
    } catch (err) {
      const reason = (err as Error).message || String(err);
      const next = new Date(this.now().getTime() + this.backoffMs(row.attempts));
      await markFailed(db, host, reason, next);
      log.warn({ host, reason, attempts: row.attempts + 1, nextAttemptAt: next }, 'certificate order failed; the host stays on HTTP until it succeeds');
      return;
    }
    await markIssued(db, host, cert);
    log.info({ host, expiresAt: cert.expiresAt }, 'certificate issued');
    if (this.owner.has(host) && this.servedBy.get(host) !== 'upload') this.serve(host, 'acme', { cert_pem: cert.certPem, key_pem: cert.keyPem });
  }

  /** 1 min, 2 min, 4 min… up to 12 h by default: the nth consecutive failure waits base·2^(n-1). */
  private backoffMs(previousFailures: number): number {
    const base = this.opts.backoffBaseMs ?? 60_000;
    const max = this.opts.backoffMaxMs ?? 12 * 60 * 60 * 1000;
    return Math.min(max, base * 2 ** Math.min(previousFailures, 30));
  }

  private defaultIssuer(acme: NonNullable<Config['acme']>): Issuer {
    const { db, router } = this.opts;
    return new AcmeIssuer({
      directory: acme.directory, email: acme.email, caPem: acme.caFile ? AcmeIssuer.readCaFile(acme.caFile) : undefined,
      store: {
        load: async () => {
          const a = await loadAcmeAccount(db, acme.directory);
          return a && { keyPem: a.key_pem, url: a.url };
        },
        save: (a) => saveAcmeAccount(db, { directory: acme.directory, email: acme.email, key_pem: a.keyPem, url: a.url }),
      },
      sink: { set: (token, ka) => router.setChallenge(token, ka), remove: (token) => router.setChallenge(token, undefined) },
    });
  }
}
