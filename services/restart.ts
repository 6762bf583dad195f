// services/restart.ts — ps:restart: restarts an app's processes (all, or one type) through the runtime, or, when its
// config changed since the live release (config:set --no-restart), deploys a new release with it instead.
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { processTypes } from './formation.ts';
import { createRelease, currentRelease, type ReleaseRow } from './releases.ts';

/** What ps:restart did: asked the runtime for a plain restart, or made a release carrying config changes. */
export type RestartOutcome = { kind: 'restart'; app: string; type?: string } | { kind: 'release'; app: string; type?: string; release: ReleaseRow; changed: string[] };

/** The keys whose values differ between two configs (set, changed or unset), sorted. */
export function changedKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

/** ps:restart — access as for ps:scale; an unknown TYPE is E_PROCESS_TYPE_UNKNOWN listing the release's types. */
export async function restartApp(db: Knex, actor: Actor, name: string, type: string | undefined): Promise<RestartOutcome> {
  return db.transaction(async (trx) => {
    const app: AppRow = await appForActor(trx, actor, name);
    const release = await currentRelease(trx, app);
    if (!release?.build_id) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
    const types = await processTypes(trx, app);
    if (type !== undefined && !types.includes(type)) {
      throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `No process type ${type.slice(0, 60)} in v${release.version}; its types are: ${types.join(', ') || 'none'}`);
    }
    const changed = changedKeys(app.config, release.config);
    if (changed.length) {
      // Config stored with --no-restart: a restart deploys it, as Dokku's ps:restart does, in a release of its own.
      // After a config change whose release failed, that is the failing config again: the CLI names the keys.
      const userId = actor.kind === 'user' ? actor.user.id : null;
      const next = await createRelease(trx, app, { buildId: release.build_id, config: app.config, description: 'Restart with config changes', userId, source: 'config' });
      return { kind: 'release', app: app.name, type, release: next, changed };
    }
    await enqueueEvent(trx, 'processesRestart', { app: app.name, ...(type ? { type } : {}) });
    return { kind: 'restart', app: app.name, type };
  });
}
