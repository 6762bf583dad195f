// controller/slug-retention.ts — keeps the slugs (or, in Docker mode, the images) of an app's newest builds
// (PAAS_SLUG_RETENTION) and deletes the older ones after each successful deploy. A pruned build keeps its row
// (history, releases) with slug_dir (image) null: rolling back to it is refused with E_RELEASE_PRUNED (services/releases.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { appSlugsDir } from '../core/app-disk.ts';

/** Build ids whose slugs stay: the newest `keep` with a slug, the live one, and any a pending deploy needs. */
export function slugsToKeep(newestFirst: Array<{ id: string }>, keep: number, needed: Iterable<string>): Set<string> {
  const ids = new Set(newestFirst.slice(0, keep).map((b) => b.id));
  for (const id of needed) ids.add(id);
  return ids;
}

/** The builds the app needs whatever their age: the live release's, and those of deploys pending or running. */
async function neededBuilds(db: Knex, appId: number): Promise<string[]> {
  const live = (await db('apps').join('releases', 'releases.id', 'apps.current_release_id').where('apps.id', appId).select('releases.build_id'))
    .concat(await db('releases').where({ app_id: appId }).whereIn('status', ['pending', 'deploying']).select('build_id'));
  return live.map((r: { build_id: string | null }) => r.build_id).filter((id): id is string => !!id);
}

/** Deletes the slugs beyond the newest `keep` of the app; returns how many were deleted. */
export async function pruneSlugs(db: Knex, dataDir: string, app: { id: number; name: string }, keep: number, log: Logger): Promise<number> {
  const builds = (await db('builds').where({ app_id: app.id }).whereNotNull('slug_dir').orderBy('number', 'desc').select('id', 'slug_dir')) as Array<{ id: string; slug_dir: string }>;
  if (builds.length <= keep) return 0;
  const kept = slugsToKeep(builds, keep, await neededBuilds(db, app.id));
  const root = appSlugsDir(dataDir, app.name);
  let pruned = 0;
  for (const b of builds.filter((x) => !kept.has(x.id))) {
    // Only ever a directory directly under the app's own slugs dir, whatever the row says.
    if (path.dirname(path.resolve(b.slug_dir)) !== root) { log.warn({ app: app.name, slugDir: b.slug_dir }, 'slug outside the app\'s slugs dir, left alone'); continue; }
    await db('builds').where({ id: b.id }).update({ slug_dir: null });
    await fs.rm(b.slug_dir, { recursive: true, force: true });
    pruned++;
  }
  if (pruned) log.info({ app: app.name, pruned, keep }, 'old slugs deleted (PAAS_SLUG_RETENTION)');
  return pruned;
}

/** Removes an app's build images except those of the given build numbers (Docker mode: runtime/docker/images.ts). */
export type RemoveAppImages = (app: string, keepNumbers: number[]) => Promise<unknown>;

/**
 * Docker mode: forgets the images of the builds beyond the newest `keep` of the app (as pruneSlugs does slugs), then
 * has the Engine remove every image of the app but the kept builds'. Returns how many builds lost their image.
 */
export async function pruneImages(db: Knex, app: { id: number; name: string }, keep: number, remove: RemoveAppImages, log: Logger): Promise<number> {
  const builds = (await db('builds').where({ app_id: app.id }).whereNotNull('image').orderBy('number', 'desc').select('id', 'number')) as Array<{ id: string; number: number }>;
  const kept = slugsToKeep(builds, keep, await neededBuilds(db, app.id));
  const pruned = builds.filter((b) => !kept.has(b.id));
  if (pruned.length) await db('builds').whereIn('id', pruned.map((b) => b.id)).update({ image: null });
  // A build still running may have tagged its image before its row says so: its number is kept too.
  const building = (await db('builds').where({ app_id: app.id, status: 'building' }).select('number')) as Array<{ number: number }>;
  // Also removes images no build row names any more (a build whose row was lost, or failed after tagging).
  await remove(app.name, [...builds.filter((b) => kept.has(b.id)), ...building].map((b) => b.number));
  if (pruned.length) log.info({ app: app.name, pruned: pruned.length, keep }, 'old images removed (PAAS_SLUG_RETENTION)');
  return pruned.length;
}
