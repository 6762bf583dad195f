// services/review-apps.ts — a parent app's review-app settings (enabled, expiry, config overrides) and the list of
// its review apps; the CLI, the API and the dashboard all read and change them here. Changing them needs the same
// access as a deploy (core/access.ts).
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { parseConfigKey } from '../core/names.ts';
import { parseConfigPairs } from './releases.ts';
import { removeApp } from './apps.ts';

/** An app row with the columns of migration 018. */
export interface ReviewAppRow extends AppRow {
  review_apps_enabled: boolean; review_config: Record<string, string>; review_expire_seconds: number | null;
  parent_app_id: number | null; review_branch: string | null; review_updated_at: Date | null;
  /** Migration 012's project of the app (null: none). */
  project_id: number | null;
}

/** The expiry a parent gets when review-apps:enable names none (Heroku's default stale period is of this order). */
export const DEFAULT_EXPIRE_SECONDS = 7 * 86_400;

export interface ReviewAppInfo { name: string; branch: string; updatedAt: Date; expiresAt: Date | null; live: boolean }
export interface ReviewSettings { app: string; enabled: boolean; expireSeconds: number | null; config: Record<string, string>; reviewApps: ReviewAppInfo[] }

/** A change of settings: any of enabled, expiry (null = never), overrides to set or unset. */
export interface ReviewChange { enabled?: boolean; expireSeconds?: number | null; set?: string[]; unset?: string[] }

/** The review apps of a parent, by branch, with when each expires (null: never). */
export async function listReviewApps(db: Knex, parent: ReviewAppRow): Promise<ReviewAppInfo[]> {
  const rows = await db('apps').where({ parent_app_id: parent.id }).orderBy('name') as ReviewAppRow[];
  return rows.map((r) => ({
    name: r.name, branch: r.review_branch ?? '', updatedAt: r.review_updated_at ?? r.created_at,
    expiresAt: parent.review_expire_seconds === null ? null : new Date((r.review_updated_at ?? r.created_at).getTime() + parent.review_expire_seconds * 1000),
    live: r.current_release_id !== null,
  }));
}

function toSettings(app: ReviewAppRow, reviewApps: ReviewAppInfo[]): ReviewSettings {
  return { app: app.name, enabled: app.review_apps_enabled, expireSeconds: app.review_expire_seconds, config: app.review_config, reviewApps };
}

/** Reads an app's review-app settings and its review apps. */
export async function getReviewSettings(db: Knex, actor: Actor, rawName: string): Promise<ReviewSettings> {
  const app = await appForActor(db, actor, rawName) as ReviewAppRow;
  return toSettings(app, await listReviewApps(db, app));
}

/**
 * Changes an app's review-app settings. Enabling a review app's own review apps is refused (one level only). Turning
 * them off destroys the existing review apps, as Heroku does; `destroyed` names them.
 */
export async function updateReviewSettings(db: Knex, actor: Actor, rawName: string, change: ReviewChange): Promise<ReviewSettings & { destroyed: string[] }> {
  const set = change.set?.length ? parseConfigPairs(change.set) : {};
  const unset = (change.unset ?? []).map(parseConfigKey);
  return db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, rawName) as ReviewAppRow;
    await trx('apps').where({ id: app.id }).forUpdate().first('id');
    if (app.parent_app_id !== null && change.enabled) {
      throw new PaasError('E_REVIEW_APP_NESTED', `${app.name} is a review app; enable review apps on its parent instead`);
    }
    const config = { ...app.review_config, ...set };
    for (const key of unset) {
      if (!(key in config)) throw new PaasError('E_CONFIG_KEY_NOT_FOUND', `${key} is not a review-app override of ${app.name}`);
      delete config[key];
    }
    const enabled = change.enabled ?? app.review_apps_enabled;
    const expire = change.expireSeconds !== undefined ? change.expireSeconds : (change.enabled && !app.review_apps_enabled ? DEFAULT_EXPIRE_SECONDS : app.review_expire_seconds);
    const [row] = await trx('apps').where({ id: app.id })
      .update({ review_apps_enabled: enabled, review_expire_seconds: expire, review_config: JSON.stringify(config) }).returning('*') as ReviewAppRow[];
    const destroyed: string[] = [];
    if (!enabled) {
      for (const child of await trx('apps').where({ parent_app_id: app.id }).select('id', 'name')) {
        await removeApp(trx, child);
        destroyed.push(child.name as string);
      }
    }
    return { ...toSettings(row!, await listReviewApps(trx, row!)), destroyed };
  });
}
