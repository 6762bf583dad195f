// services/cert-store.ts — the certificate rows and ACME accounts as the controller's CertificateManager reads and
// writes them: ACME orders (pending → issued | failed with a next attempt), what to load into the router, and the
// account per directory. Keys go in and out of the database here only; nothing here logs them.
import type { Knex } from 'knex';
import type { CertSource, CertState } from './certs.ts';

/** A certificate row (keys included: for the router only). */
export interface CertRow {
  id: number; app_id: number | null; host: string; source: CertSource; state: CertState;
  cert_pem: string | null; key_pem: string | null; names: string[]; expires_at: Date | null;
  error: string | null; attempts: number; next_attempt_at: Date | null; released_at: Date | null; created_at: Date; updated_at: Date;
}

/** An ACME account: its key and URL at one directory. */
export interface AcmeAccountRow { directory: string; email: string; key_pem: string; url: string }

/**
 * Records that host needs an ACME certificate (state pending) unless it has a row already; the row follows the host
 * to its current owner (appId, null for the platform's own host), released or not, keeping its certificate, failure
 * count and next attempt. Returns the row as it now is.
 */
export async function ensureAcmeRow(db: Knex, appId: number | null, host: string): Promise<CertRow> {
  const { rows } = await db.raw(
    `INSERT INTO certificates (app_id, host, source, state) VALUES (?, ?, 'acme', 'pending')
     ON CONFLICT (host) WHERE source = 'acme' DO UPDATE SET app_id = EXCLUDED.app_id, released_at = NULL
     RETURNING *`, [appId, host]);
  return rows[0] as CertRow;
}

/** Notes why a pending order waits (the order budget), for `certs` to show; the row stays pending. */
export async function markWaiting(db: Knex, host: string, note: string): Promise<void> {
  await db('certificates').where({ host, source: 'acme', state: 'pending' }).update({ error: note, updated_at: db.fn.now() });
}

/** Marks an ACME order issued: the new chain and key replace the old, and the failure count resets. */
export async function markIssued(db: Knex, host: string, cert: { certPem: string; keyPem: string; expiresAt: Date }): Promise<void> {
  await db('certificates').where({ host, source: 'acme' }).update({
    state: 'issued', cert_pem: cert.certPem, key_pem: cert.keyPem, names: [host], expires_at: cert.expiresAt,
    error: null, attempts: 0, next_attempt_at: null, updated_at: db.fn.now(),
  });
}

/** Marks an ACME order failed with its reason and when to try again; an earlier certificate is kept (and served until it expires). */
export async function markFailed(db: Knex, host: string, reason: string, nextAttemptAt: Date): Promise<void> {
  await db('certificates').where({ host, source: 'acme' }).update({
    state: 'failed', error: reason.slice(0, 1000), attempts: db.raw('attempts + 1'), next_attempt_at: nextAttemptAt, updated_at: db.fn.now(),
  });
}

/** The ACME row of a host, if any. */
export async function acmeRow(db: Knex, host: string): Promise<CertRow | undefined> {
  return db('certificates').where({ host, source: 'acme' }).first();
}

/**
 * Releases an owner's ACME rows for hosts it no longer has (appId null: the platform's, which are the unreleased rows
 * of no app); returns their hosts. Released rows keep everything for a week (purgeReleased), in case the host returns.
 */
export async function releaseAcmeRowsExcept(db: Knex, appId: number | null, keep: readonly string[]): Promise<string[]> {
  const q = db('certificates').where({ source: 'acme' }).whereNull('released_at').whereNotIn('host', [...keep]);
  if (appId === null) q.whereNull('app_id');
  else q.where({ app_id: appId });
  return (await q.update({ app_id: null, released_at: db.fn.now() }).returning('host')).map((r: { host: string }) => r.host);
}

/** On apps:destroy (in its transaction): the upload goes, the ACME rows are released. */
export async function releaseAppCertificates(db: Knex, appId: number): Promise<void> {
  await db('certificates').where({ app_id: appId, source: 'upload' }).delete();
  await db('certificates').where({ app_id: appId, source: 'acme' }).update({ app_id: null, released_at: db.fn.now() });
}

/** Deletes ACME rows released before `before`, and uploads left without an app. */
export async function purgeReleased(db: Knex, before: Date): Promise<number> {
  return db('certificates').where((w) => w
    .where((a) => a.where({ source: 'acme' }).where('released_at', '<', before))
    .orWhere((u) => u.where({ source: 'upload' }).whereNull('app_id'))).delete();
}

/**
 * ACME rows to order now: pending ones, failed ones whose next attempt is due, and issued ones expiring before
 * `renewBefore`. Oldest first.
 */
export async function dueAcmeRows(db: Knex, now: Date, renewBefore: Date): Promise<CertRow[]> {
  return db('certificates').where({ source: 'acme' }).whereNull('released_at').where((w) => w
    .where({ state: 'pending' })
    .orWhere((f) => f.where({ state: 'failed' }).where((n) => n.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', now)))
    .orWhere((i) => i.where({ state: 'issued' }).where('expires_at', '<', renewBefore)))
    .orderBy('updated_at');
}

/** An app's uploaded certificate, if any. */
export async function uploadedCertificate(db: Knex, appId: number): Promise<CertRow | undefined> {
  return db('certificates').where({ app_id: appId, source: 'upload' }).first();
}

/** Every app's edge options. */
export async function allHttpsOptions(db: Knex): Promise<Array<{ name: string; redirect: boolean; hsts: boolean }>> {
  const rows = await db('apps').select('name', 'https_redirect', 'hsts');
  return rows.map((r) => ({ name: r.name, redirect: Boolean(r.https_redirect), hsts: Boolean(r.hsts) }));
}

/** The ACME account kept for a directory, if any. */
export async function loadAcmeAccount(db: Knex, directory: string): Promise<AcmeAccountRow | undefined> {
  return db('acme_accounts').where({ directory }).first();
}

/** Keeps the ACME account of a directory (first writer wins, so two processes never split the account). */
export async function saveAcmeAccount(db: Knex, account: AcmeAccountRow): Promise<void> {
  await db('acme_accounts').insert(account).onConflict('directory').ignore();
}
