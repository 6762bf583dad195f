// services/review-push.ts — what a push of a branch does to its review app (gitd/review-push.ts calls these): make
// or find `<parent>-<branch slug>`, destroy it when the branch is deleted, and the expiry sweep the controller runs.
import type { Knex } from 'knex';
import type { User } from '../core/accounts/users.ts';
import { PaasError } from '../core/errors.ts';
import type { IsolationState } from '../core/isolation.ts';
import { RESERVED_NAMES } from '../core/names.ts';
import { reviewAppNames } from '../core/review-names.ts';
import { createApp, removeApp } from './apps.ts';
import type { ReviewAppRow } from './review-apps.ts';

/** The parent's row when review apps are enabled on it (and it is no review app itself). */
export async function reviewParent(db: Knex, app: string): Promise<ReviewAppRow | undefined> {
  const row = await db('apps').where({ name: app }).first() as ReviewAppRow | undefined;
  return row?.review_apps_enabled && row.parent_app_id === null ? row : undefined;
}

/** This parent's review app for this branch, if it has one. */
export async function reviewAppOf(db: Knex, parent: { id: number }, branch: string): Promise<ReviewAppRow | undefined> {
  return db('apps').where({ parent_app_id: parent.id, review_branch: branch }).first();
}

/**
 * The name a new review app takes: the first candidate (core/review-names.ts) that no app holds and that is not
 * reserved. An app of the same name that is not this parent's review app of this branch is never taken over.
 */
export async function freeReviewName(db: Knex, parent: string, branch: string): Promise<string> {
  const candidates = reviewAppNames(parent, branch);
  const taken = new Set((await db('apps').whereIn('name', candidates).select('name')).map((r) => r.name as string));
  const name = candidates.find((n) => !taken.has(n) && !RESERVED_NAMES.has(n));
  if (!name) {
    throw new PaasError('E_REVIEW_APP_NAME_TAKEN', `No review app was made for branch ${branch.slice(0, 80)}: ${candidates.join(', ')} all belong to other apps; rename the branch or one of those apps`);
  }
  return name;
}

async function ownerOf(db: Knex, parent: ReviewAppRow): Promise<User> {
  const u = await db('users').where({ id: parent.owner_id }).first();
  return { id: u.id, email: u.email, isAdmin: u.is_admin, disabled: u.disabled };
}

/**
 * Finds or creates the review app of a pushed branch and marks it updated now. A new one is created by apps:create's
 * service (its name, plan and tenancy checks), owned by the parent's owner, linked to the parent in the same insert,
 * with the parent's config plus the review overrides. It has no collaborators or project of its own: its access is
 * the parent's (core/access.ts), and so is its plan (services/plans.ts). The caller holds the parent's push lock.
 */
export async function ensureReviewApp(db: Knex, parent: ReviewAppRow, branch: string, isolation: IsolationState, now = new Date()): Promise<{ app: ReviewAppRow; created: boolean }> {
  const existing = await reviewAppOf(db, parent, branch);
  if (existing) {
    await db('apps').where({ id: existing.id }).update({ review_updated_at: now });
    return { app: existing, created: false };
  }
  const name = await freeReviewName(db, parent.name, branch);
  const app = await createApp(db, await ownerOf(db, parent), name, isolation, {
    parent_app_id: parent.id, review_branch: branch, review_updated_at: now,
    config: JSON.stringify({ ...parent.config, ...parent.review_config }),
  });
  return { app: app as ReviewAppRow, created: true };
}

/** Destroys this parent's review app of a deleted branch; returns its name, or undefined when it had none. */
export async function destroyReviewAppOf(db: Knex, parent: { id: number }, branch: string): Promise<string | undefined> {
  return db.transaction(async (trx) => {
    const app = await trx('apps').where({ parent_app_id: parent.id, review_branch: branch }).forUpdate().first('id', 'name');
    if (!app) return undefined;
    await removeApp(trx, app);
    return app.name as string;
  });
}

/** The sweep's advisory lock key: this fixed one with the schema's hash, so platforms sharing a database (one schema each) don't skip each other's sweeps. */
const SWEEP_LOCK = 0x72657669; // "revi"

/** Takes the sweep's lock for the rest of the transaction; false when another sweep of this schema holds it. */
export async function trySweepLock(trx: Knex.Transaction): Promise<boolean> {
  const { rows } = await trx.raw('SELECT pg_try_advisory_xact_lock(?, hashtext(current_schema())) AS got', [SWEEP_LOCK]);
  return rows[0]?.got === true;
}

/**
 * Destroys review apps whose last push is older than their parent's expiry at `now`; returns their names. Runs
 * under a transaction-scoped advisory lock (trySweepLock), so with several controllers one sweeps and the others skip.
 */
export async function sweepExpiredReviewApps(db: Knex, now: Date): Promise<string[]> {
  return db.transaction(async (trx) => {
    if (!await trySweepLock(trx)) return [];
    const expired = await trx('apps as r').join('apps as p', 'p.id', 'r.parent_app_id')
      .whereNotNull('p.review_expire_seconds')
      .whereRaw("coalesce(r.review_updated_at, r.created_at) + make_interval(secs => p.review_expire_seconds) <= ?", [now])
      .select('r.id', 'r.name').orderBy('r.name');
    for (const app of expired) await removeApp(trx, app);
    return expired.map((a) => a.name as string);
  });
}
