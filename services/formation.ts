// services/formation.ts — how many processes of each type an app runs (ps:scale); used by the CLI and the
// dashboard (what runs now comes from the runtime's read port, runtime/reader.ts).
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { currentRelease } from './releases.ts';

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

/** The process types of the app's current release (without `release`), or [] when it has none. */
export async function processTypes(db: Knex, app: AppRow): Promise<string[]> {
  const release = await currentRelease(db, app);
  if (!release?.build_id) return [];
  const build = await db('builds').where({ id: release.build_id }).first('process_types');
  return Object.keys(build?.process_types ?? {}).filter((t) => t !== 'release').sort();
}

/** ps:scale — stores the new quantities (kept for later releases) and tells the runtime. */
export async function scaleApp(db: Knex, actor: Actor, name: string, quantities: Record<string, number>): Promise<void> {
  await db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, name);
    const release = await currentRelease(trx, app);
    if (!release) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
    const types = await processTypes(trx, app);
    const unknown = Object.keys(quantities).filter((t) => !types.includes(t));
    if (unknown.length) throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `No process type ${unknown.join(', ')} in v${release.version}; its types are: ${types.join(', ')}`);
    await trx('apps').where({ id: app.id }).update({ formation: JSON.stringify({ ...app.formation, ...quantities }) });
    await enqueueEvent(trx, 'formationUpdated', { app: app.name, quantities });
  });
}
