// services/formation.ts — how many processes of each type an app runs: Heroku's default (web 1, others 0; an app
// without web runs 1 of its first declared type), ps:scale, and app.json's formation, which takes scaling away from
// ps:scale. Used by the CLI, the API, the dashboard, release-spec.ts and the builder (what runs now comes from the
// runtime's read port, runtime/reader.ts).
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import type { BuildRow } from './builds.ts';
import { currentRelease } from './releases.ts';
import { checkInstancesQuota, totalInstances } from './quotas.ts';

/** The most instances of one type: ps:scale's N and ps:autoscale's --max. */
export const MAX_INSTANCES = 99;

/** Parses TYPE=N pairs (N from 0 to 99). */
export function parseScale(pairs: string[]): Record<string, number> {
  if (!pairs.length) throw new PaasError('E_USAGE', 'Usage: ps:scale APP TYPE=N…, e.g. ps:scale myapp web=2 worker=1');
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([a-z0-9][a-z0-9_-]*)=(\d{1,2})$/.exec(p);
    if (!m) throw new PaasError('E_USAGE', `"${p.slice(0, 80)}" is not TYPE=N (N from 0 to 99)`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** app.json's `formation` quantities of a build, or undefined when its app.json gives none. */
export function appJsonFormation(build: Pick<BuildRow, 'app_json'> | undefined): Record<string, number> | undefined {
  const formation = build?.app_json?.formation;
  return formation && Object.keys(formation).length > 0 ? formation : undefined;
}

/**
 * How many of a type run: app.json's quantity (on every deploy), else the app's (ps:scale, or the default a build
 * recorded), else web 1 and any other type 0. `release` is never a daemon.
 */
export function quantityOf(type: string, formation: Record<string, number>, fromAppJson?: Record<string, number>): number {
  if (type === 'release') return 0;
  return fromAppJson?.[type] ?? formation[type] ?? (type === 'web' ? 1 : 0);
}

/**
 * The quantities a successful build adds to the app's formation, from its types in declared (Procfile) order:
 * web 1 when nothing set it yet; with no web type, 1 of the first declared type unless a type of the build
 * already has a quantity (the app's owner scaled it). Recorded once, so ps:scale and later pushes keep them.
 */
export function toDefaultFormation(declared: string[], formation: Record<string, number>): Record<string, number> {
  const types = declared.filter((t) => t !== 'release');
  if (types.includes('web')) return Object.hasOwn(formation, 'web') ? {} : { web: 1 };
  const first = types[0];
  if (first === undefined || types.some((t) => Object.hasOwn(formation, t))) return {};
  return { [first]: 1 };
}

/** Records a new build's default quantities in the app's formation (in the builder's transaction; types in declared order). */
export async function recordDefaultFormation(trx: Knex.Transaction, app: AppRow, declared: string[]): Promise<void> {
  const added = toDefaultFormation(declared, app.formation);
  if (Object.keys(added).length === 0) return;
  await trx('apps').where({ id: app.id }).update({ formation: trx.raw('?::jsonb || formation', [JSON.stringify(added)]) });
}

/**
 * Refuses a build whose app.json formation (up to 99 per type, applied on every deploy) would take the app over its
 * plan's instances per app: the builder before its release, the deployer before any process starts (a rollback too).
 * `declared`: the build's process types; autoscaled types count at their maximum.
 */
export async function checkAppJsonInstances(db: Knex, app: AppRow, fromAppJson: Record<string, number> | undefined, declared: string[]): Promise<void> {
  if (!fromAppJson) return;
  const types = declared.filter((t) => t !== 'release');
  const formation = { ...toDefaultFormation(declared, app.formation), ...app.formation };
  const total = totalInstances(types, (t) => quantityOf(t, formation, fromAppJson), app.autoscaling);
  const said = Object.entries(fromAppJson).map(([t, n]) => `${t}=${n}`).join(' ');
  await checkInstancesQuota(db, app, total, `app.json's formation (${said})`, 'Lower it in app.json and push again');
}

/** The build of the app's current release (undefined before its first deploy). */
async function currentBuild(db: Knex, app: AppRow): Promise<BuildRow | undefined> {
  const release = await currentRelease(db, app);
  if (!release?.build_id) return undefined;
  return (await db('builds').where({ id: release.build_id }).first()) as BuildRow | undefined;
}

/** The process types of the app's current release (without `release`), or [] when it has none. */
export async function processTypes(db: Knex, app: AppRow): Promise<string[]> {
  const build = await currentBuild(db, app);
  return Object.keys(build?.process_types ?? {}).filter((t) => t !== 'release').sort();
}

/** One process type of the current release with the quantity that runs, for the faces. */
export interface FormationEntry { type: string; quantity: number }

/** The current release's types with their quantities, and app.json's formation when it sets them (ps:scale is then off). */
export async function formationOf(db: Knex, app: AppRow): Promise<{ entries: FormationEntry[]; fromAppJson?: Record<string, number> }> {
  const build = await currentBuild(db, app);
  const fromAppJson = appJsonFormation(build);
  const types = Object.keys(build?.process_types ?? {}).filter((t) => t !== 'release').sort();
  return { entries: types.map((type) => ({ type, quantity: quantityOf(type, app.formation, fromAppJson) })), ...(fromAppJson ? { fromAppJson } : {}) };
}

/** False once the app's current release runs no web process (a worker-only app has no URL to show); true before a first deploy. */
export async function hasWebUrl(db: Knex, app: AppRow): Promise<boolean> {
  const build = await currentBuild(db, app);
  if (!build) return true;
  return Object.hasOwn(build.process_types ?? {}, 'web') && quantityOf('web', app.formation, appJsonFormation(build)) > 0;
}

/** The refusal of ps:scale while app.json sets the formation (Dokku's rule). */
export function formationLockedError(app: string, fromAppJson: Record<string, number>): PaasError {
  const said = Object.entries(fromAppJson).map(([t, n]) => `${t}=${n}`).join(' ');
  return new PaasError('E_FORMATION_APP_JSON', `${app}'s formation is set by app.json in the app's repo (${said}); change it there and push`);
}

/** ps:scale — stores the new quantities (kept for later releases) and tells the runtime; refused while app.json sets them. */
export async function scaleApp(db: Knex, actor: Actor, name: string, quantities: Record<string, number>): Promise<void> {
  await db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, name);
    // One instance count at a time per app: the row is locked and its formation read again under the lock.
    const locked = (await trx('apps').where({ id: app.id }).forUpdate().first('formation', 'autoscaling')) as Pick<AppRow, 'formation' | 'autoscaling'>;
    const release = await currentRelease(trx, app);
    if (!release) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
    const fromAppJson = appJsonFormation(await currentBuild(trx, app));
    if (fromAppJson) throw formationLockedError(app.name, fromAppJson);
    const types = await processTypes(trx, app);
    const unknown = Object.keys(quantities).filter((t) => !types.includes(t));
    if (unknown.length) throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `No process type ${unknown.join(', ')} in v${release.version}; its types are: ${types.join(', ')}`);
    const autoscaled = Object.keys(quantities).filter((t) => Object.hasOwn(app.autoscaling ?? {}, t));
    if (autoscaled.length) throw new PaasError('E_FORMATION_AUTOSCALED', `${autoscaled.join(', ')} of ${app.name} is autoscaled: its instance count is the autoscaler's; turn it off with ps:autoscale:off ${app.name} ${autoscaled[0]} first`);
    const formation = { ...locked.formation, ...quantities };
    const asked = `ps:scale ${Object.entries(quantities).map(([t, n]) => `${t}=${n}`).join(' ')}`;
    await checkInstancesQuota(trx, app, totalInstances(types, (t) => quantityOf(t, formation), locked.autoscaling), asked);
    // Merged in the UPDATE, not from what was read: a concurrent ps:scale of another type waits for this row and keeps it.
    await trx('apps').where({ id: app.id }).update({ formation: trx.raw('formation || ?::jsonb', [JSON.stringify(quantities)]) });
    await enqueueEvent(trx, 'formationUpdated', { app: app.name, quantities });
  });
}
