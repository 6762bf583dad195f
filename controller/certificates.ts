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
  acmeRow, allHttpsOptions, dueAcmeRows, ensureAcmeRow, loadAcmeAccount, markFailed, markIssued, markWaiting, purgeReleased,
  releaseAcmeRowsExcept, saveAcmeAccount, uploadedCertificate, type CertRow,
} from '../services/cert-store.ts';
import { appHosts } from '../services/certs.ts';
import { liveSpec } from '../services/release-spec.ts';
import { routerSecret } from '../core/router-secret.ts';
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
  /** How often due renewals and retries are looked for (default: every minute; a due row is one indexed query). */
  renewIntervalMs?: number;
  /**
   * The first retry's delay after a failed order, doubling per failure up to backoffMaxMs (default 5 min, 12 h):
   * five failures take over an hour, under Let's Encrypt's five failed validations per host and hour.
   */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The longest one order may take before it counts as failed and the queue moves on (default 3 min). */
  orderTimeoutMs?: number;
}

/** Orders one owner (an app, or the platform) may start in an hour, whatever its domains: the CA's limits are shared. */
const ORDERS_PER_OWNER_HOUR = 5;
const HOUR_MS = 60 * 60 * 1000;
/** How long a released ACME row (its host left its app) is kept for the host's return. */
const KEEP_RELEASED_MS = 7 * 24 * HOUR_MS;

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
  /** When each host's served ACME certificate expires: the tick takes it out of the router then (renewal failed). */
  private readonly acmeExpiry = new Map<string, Date>();
  /** Start times of recent orders, all and per owner: the order budget. */
  private readonly orders: number[] = [];
  private readonly ordersByOwner = new Map<string, number[]>();
  /** One sync per app at a time, in call order: a sync that read old domains never lands after a newer one. */
  private readonly syncs = new Map<string, Promise<void>>();
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
    // A failed check is retried at the next interval; there is no caller to hand the error to.
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => this.opts.log.warn({ err }, 'certificate renewal check failed')), this.opts.renewIntervalMs ?? 60 * 1000);
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
  syncApp(name: string): Promise<void> {
    const run = (this.syncs.get(name) ?? Promise.resolve()).then(() => this.syncAppNow(name));
    const tail = run.catch(() => undefined); // the caller gets the error through `run`
    this.syncs.set(name, tail);
    void tail.then(() => { if (this.syncs.get(name) === tail) this.syncs.delete(name); });
    return run;
  }

  private async syncAppNow(name: string): Promise<void> {
    const { db, config, router } = this.opts;
    const app = (await db('apps').where({ name }).first()) as (AppRow & { https_redirect: boolean; hsts: boolean }) | undefined;
    if (!app) return this.removeApp(name);
    router.setAppOptions(name, { redirectHttps: app.https_redirect, hsts: app.hsts });
    const spec = await liveSpec(db, config, app);
    const all = spec?.processes.some((p) => p.type === 'web') ? appHosts(config.baseDomain, name, spec.domains ?? await listDomains(db, app.id)) : [];
    // Security boundary: the platform's own hosts are never an app's, even if an app's name makes <app>.<base> one.
    const hosts = all.filter((h) => !config.dashboardHosts.includes(h));
    await releaseAcmeRowsExcept(db, app.id, hosts);
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
    const { db, config } = this.opts;
    const host = config.platformDomain;
    if (!host) return;
    this.routePlatform();
    await releaseAcmeRowsExcept(db, null, [host]);
    this.owner.set(host, PLATFORM);
    await this.serveAcme(null, host);
  }

  /**
   * Points the platform's host at the web port as config.endpoints has it: `npm start` calls this again once the
   * web port is bound (PAAS_HTTP_PORT=0 is only known then); the separate controller has the port asked for.
   */
  routePlatform(): void {
    const { config, router } = this.opts;
    if (config.platformDomain) router.setPlatformRoute([config.platformDomain], config.endpoints.httpPort, routerSecret(config.dataDir));
  }

  /** Clears the hosts an owner had that it no longer has, unless another owner took them meanwhile. */
  private release(name: string, keep: readonly string[]): void {
    for (const [host, owner] of this.owner) {
      if (owner !== name || keep.includes(host)) continue;
      this.owner.delete(host);
      this.servedBy.delete(host);
      this.acmeExpiry.delete(host);
      this.opts.router.setCertificate(host, undefined);
    }
  }

  private serve(host: string, kind: 'upload' | 'acme', row: Pick<CertRow, 'cert_pem' | 'key_pem' | 'expires_at'>): void {
    this.servedBy.set(host, kind);
    if (kind === 'acme' && row.expires_at) this.acmeExpiry.set(host, row.expires_at);
    else this.acmeExpiry.delete(host);
    this.opts.router.setCertificate(host, { cert: row.cert_pem!, key: row.key_pem! } satisfies CertificatePem);
  }

  /** Serves the host's ACME certificate when it has one in date; records and queues an order when one is due. */
  private async serveAcme(appId: number | null, host: string): Promise<void> {
    const { db, router } = this.opts;
    const row = await acmeRow(db, host);
    if (row?.cert_pem && row.expires_at && row.expires_at > this.now()) this.serve(host, 'acme', row);
    else {
      this.servedBy.delete(host);
      this.acmeExpiry.delete(host);
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

  /**
   * Takes expired certificates out of the router (an upload, or an ACME one whose renewal kept failing: serving it
   * would only show browsers an error, with no way past it under HSTS), queues due renewals and retries of hosts
   * still served, and forgets rows released over a week ago.
   */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    for (const [app, expiry] of [...this.uploadExpiry]) if (expiry <= now) await this.syncApp(app);
    for (const [host, expiry] of [...this.acmeExpiry]) {
      if (expiry > now || this.servedBy.get(host) !== 'acme') continue;
      this.acmeExpiry.delete(host);
      this.servedBy.delete(host);
      this.opts.router.setCertificate(host, undefined);
    }
    await purgeReleased(this.opts.db, new Date(now.getTime() - KEEP_RELEASED_MS));
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
    const owner = this.owner.get(host);
    if (!row || owner === undefined) return; // the host went away while it waited
    const wait = this.budgetWait(owner);
    if (wait) return markWaiting(db, host, wait); // still pending: the tick queues it again once the budget allows
    let cert: IssuedCertificate;
    try {
      cert = await this.withDeadline(this.issuer!.order(host));
    } catch (err) {
      const reason = (err as Error).message || String(err);
      const next = new Date(this.now().getTime() + this.backoffMs(row.attempts));
      await markFailed(db, host, reason, next);
      log.warn({ host, reason, attempts: row.attempts + 1, nextAttemptAt: next }, 'certificate order failed; the host stays on HTTP until it succeeds');
      return;
    }
    await markIssued(db, host, cert);
    log.info({ host, expiresAt: cert.expiresAt }, 'certificate issued');
    if (this.owner.has(host) && this.servedBy.get(host) !== 'upload') this.serve(host, 'acme', { cert_pem: cert.certPem, key_pem: cert.keyPem, expires_at: cert.expiresAt });
  }

  /**
   * Why an order for owner must wait, or undefined when it may start now (and is counted): at most
   * config.acme.ordersPerHour orders an hour in all and ORDERS_PER_OWNER_HOUR per app, so no tenant's domains can
   * spend the account's rate limits that every tenant's certificates and renewals share.
   */
  private budgetWait(owner: string): string | undefined {
    const now = this.now().getTime();
    const recent = (list: number[]) => list.filter((t) => t > now - HOUR_MS);
    const all = recent(this.orders);
    const mine = recent(this.ordersByOwner.get(owner) ?? []);
    const perHour = this.opts.config.acme?.ordersPerHour ?? 30;
    if (all.length >= perHour) return `waiting: the platform starts at most ${perHour} certificate orders an hour`;
    if (mine.length >= ORDERS_PER_OWNER_HOUR) return `waiting: an app starts at most ${ORDERS_PER_OWNER_HOUR} certificate orders an hour`;
    this.orders.splice(0, this.orders.length, ...all, now);
    this.ordersByOwner.set(owner, [...mine, now]);
    return undefined;
  }

  /** Fails an order that outlives orderTimeoutMs (a stalled connection, a CA asking to retry in hours). */
  private withDeadline<T>(work: Promise<T>): Promise<T> {
    const ms = this.opts.orderTimeoutMs ?? 3 * 60 * 1000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the ACME order took longer than ${Math.round(ms / 1000)} s; it will be tried again`)), ms);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  /** 5 min, 10 min, 20 min… up to 12 h by default: the nth consecutive failure waits base·2^(n-1). */
  private backoffMs(previousFailures: number): number {
    const base = this.opts.backoffBaseMs ?? 5 * 60_000;
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
