// services/certs.ts — an app's certificates and HTTPS options as users see and change them (certs, certs:add,
// certs:remove, the https options, the dashboard's domains page). Each call checks the actor's access first; a change
// announces paas.domains.updated in its transaction, so the controller's CertificateManager re-syncs the router.
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { acmeEligibility, namesCover } from '../core/cert-names.ts';
import { PaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { listDomains } from './apps.ts';
import { validateUpload } from './cert-validate.ts';

export type CertSource = 'acme' | 'upload';
export type CertState = 'pending' | 'issued' | 'failed';

/** One host of an app and the certificate it is served with over HTTPS, for display (never the key). */
export interface HostCertificate {
  host: string;
  /** 'none': no certificate (yet); `note` says why when ACME will not order one. */
  state: CertState | 'none';
  source?: CertSource;
  expiresAt?: Date;
  /** Why the last order failed; the host keeps being served over HTTP. */
  error?: string;
  nextAttemptAt?: Date;
  /** The names of the certificate that covers the host (uploads: all its names, wildcards included). */
  names?: string[];
  note?: string;
}

/** The app's uploaded certificate, without its key. */
export interface UploadedCertificate { names: string[]; expiresAt: Date; createdAt: Date }

/** The per-app edge options: HTTP→HTTPS redirect (for hosts with a certificate) and HSTS. */
export interface HttpsOptions { redirect: boolean; hsts: boolean }

/** What the faces show for an app: each host's certificate, the upload, and the HTTPS options. */
export interface AppCertificates { app: string; hosts: HostCertificate[]; upload?: UploadedCertificate; https: HttpsOptions }

/** An app row with its edge options (migration 008). */
type AppWithHttps = AppRow & { https_redirect?: boolean; hsts?: boolean };

/** What listing needs of the config: the base domain, and whether ACME is on. */
export interface CertsConfig { baseDomain: string; acme?: unknown }

/** The hosts an app is served at: `<app>.<base domain>` first, then its custom domains. */
export function appHosts(baseDomain: string, app: string, domains: readonly string[]): string[] {
  return [`${app}.${baseDomain}`, ...domains.filter((d) => d !== `${app}.${baseDomain}`)];
}

/** Lists each of the app's hosts with its certificate state, the uploaded certificate and the HTTPS options. */
export async function listCertificates(db: Knex, actor: Actor, rawApp: string, config: CertsConfig): Promise<AppCertificates> {
  const app = await appForActor(db, actor, rawApp, 'read') as AppWithHttps;
  const hosts = appHosts(config.baseDomain, app.name, await listDomains(db, app.id));
  const rows = await db('certificates').where({ app_id: app.id });
  const upload = rows.find((r) => r.source === 'upload');
  const acme = new Map(rows.filter((r) => r.source === 'acme').map((r) => [r.host as string, r]));
  const now = Date.now();
  return {
    app: app.name,
    hosts: hosts.map((host): HostCertificate => {
      if (upload && namesCover(upload.names, host)) {
        const expired = new Date(upload.expires_at).getTime() <= now;
        return { host, source: 'upload', state: expired ? 'failed' : 'issued', expiresAt: upload.expires_at, names: upload.names, ...(expired ? { error: 'the uploaded certificate has expired' } : {}) };
      }
      const row = acme.get(host);
      if (row) {
        return {
          host, source: 'acme', state: row.state, expiresAt: row.expires_at ?? undefined, error: row.error ?? undefined,
          nextAttemptAt: row.state === 'failed' ? row.next_attempt_at ?? undefined : undefined, names: [host],
        };
      }
      return { host, state: 'none', note: noCertificateNote(host, config) };
    }),
    upload: upload ? { names: upload.names, expiresAt: upload.expires_at, createdAt: upload.created_at } : undefined,
    https: { redirect: Boolean(app.https_redirect), hsts: Boolean(app.hsts) },
  };
}

function noCertificateNote(host: string, config: CertsConfig): string {
  const eligibility = acmeEligibility(host);
  if (!eligibility.eligible) return `no automatic certificate: ${eligibility.reason}`;
  if (!config.acme) return 'automatic HTTPS is off (PAAS_ACME_EMAIL is not set); upload a certificate with certs:add';
  return 'a certificate will be ordered once the app has a running web process';
}

/**
 * Stores the app's uploaded certificate (replacing any earlier one) after validateUpload. Returns its names, expiry,
 * and which of the app's hosts it covers: it is served only for those, never for another app's host.
 */
export async function addCertificate(db: Knex, actor: Actor, rawApp: string, cert: unknown, key: unknown, baseDomain: string): Promise<UploadedCertificate & { hosts: string[] }> {
  const app = await appForActor(db, actor, rawApp);
  const valid = validateUpload(cert, key);
  await db.transaction(async (trx) => {
    await trx('certificates').where({ app_id: app.id, source: 'upload' }).delete();
    await trx('certificates').insert({
      app_id: app.id, host: valid.names[0], source: 'upload', state: 'issued', cert_pem: valid.certPem, key_pem: valid.keyPem,
      names: valid.names, expires_at: valid.expiresAt,
    });
    await enqueueEvent(trx, 'domainsUpdated', { app: app.name });
  });
  const hosts = appHosts(baseDomain, app.name, await listDomains(db, app.id)).filter((h) => namesCover(valid.names, h));
  return { names: valid.names, expiresAt: valid.expiresAt, createdAt: new Date(), hosts };
}

/** Removes the app's uploaded certificate; E_CERT_NOT_FOUND when it has none. Its hosts fall back to ACME. */
export async function removeCertificate(db: Knex, actor: Actor, rawApp: string): Promise<void> {
  const app = await appForActor(db, actor, rawApp);
  await db.transaction(async (trx) => {
    const n = await trx('certificates').where({ app_id: app.id, source: 'upload' }).delete();
    if (!n) throw new PaasError('E_CERT_NOT_FOUND', `${app.name} has no uploaded certificate`);
    await enqueueEvent(trx, 'domainsUpdated', { app: app.name });
  });
}

/** Sets the app's HTTPS options (only the ones given change); returns them as they now are. */
export async function setHttpsOptions(db: Knex, actor: Actor, rawApp: string, options: Partial<HttpsOptions>): Promise<HttpsOptions> {
  const app = await appForActor(db, actor, rawApp);
  const change: Record<string, boolean> = {};
  if (options.redirect !== undefined) change.https_redirect = Boolean(options.redirect);
  if (options.hsts !== undefined) change.hsts = Boolean(options.hsts);
  return db.transaction(async (trx) => {
    const [row] = Object.keys(change).length
      ? await trx('apps').where({ id: app.id }).update(change).returning(['https_redirect', 'hsts'])
      : [app];
    if (Object.keys(change).length) await enqueueEvent(trx, 'domainsUpdated', { app: app.name });
    return { redirect: Boolean(row.https_redirect), hsts: Boolean(row.hsts) };
  });
}

/** The app's HTTPS options. */
export async function getHttpsOptions(db: Knex, actor: Actor, rawApp: string): Promise<HttpsOptions> {
  const app = await appForActor(db, actor, rawApp, 'read') as AppWithHttps;
  return { redirect: Boolean(app.https_redirect), hsts: Boolean(app.hsts) };
}
