// services/releases.ts — releases (a build plus a config snapshot), config changes and rollbacks. Each new
// release and its paas.release.created event are written in one transaction; the deployer picks it up.
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { parseConfigKey } from '../core/names.ts';
import { enqueueEvent } from '../core/outbox.ts';

export interface ReleaseRow {
  id: number; app_id: number; version: number; build_id: string | null; config: Record<string, string>;
  description: string; status: 'pending' | 'deploying' | 'succeeded' | 'failed'; error: string | null;
  user_id: number | null; created_at: Date; finished_at: Date | null;
  /** Held while a deploy works on it, postdeploy scripts included (controller/leases.ts). */
  lease_expires_at?: Date | null;
}

export type ReleaseSource = 'push' | 'config' | 'rollback';

interface NewRelease { buildId: string | null; config: Record<string, string>; description: string; userId: number | null; source: ReleaseSource }

/** Creates release vN+1 for the app inside trx and enqueues paas.release.created. */
export async function createRelease(trx: Knex.Transaction, app: AppRow, r: NewRelease): Promise<ReleaseRow> {
  await trx.raw('SELECT id FROM apps WHERE id = ? FOR UPDATE', [app.id]);
  const { max } = (await trx('releases').where({ app_id: app.id }).max('version as max').first()) ?? { max: 0 };
  const [row] = await trx('releases').insert({
    app_id: app.id, version: (Number(max) || 0) + 1, build_id: r.buildId, config: JSON.stringify(r.config),
    description: r.description, status: 'pending', user_id: r.userId,
  }).returning('*');
  await enqueueEvent(trx, 'releaseCreated', {
    releaseId: row.id, app: app.name, version: row.version, buildId: r.buildId ?? undefined, source: r.source, description: r.description,
  });
  return row as ReleaseRow;
}

export async function listReleases(db: Knex, app: AppRow, limit = 50): Promise<Array<ReleaseRow & { email: string | null }>> {
  return db('releases').leftJoin('users', 'users.id', 'releases.user_id').where({ app_id: app.id })
    .orderBy('version', 'desc').limit(limit).select('releases.*', 'users.email');
}

export async function currentRelease(db: Knex, app: AppRow): Promise<ReleaseRow | undefined> {
  if (!app.current_release_id) return undefined;
  return db('releases').where({ id: app.current_release_id }).first();
}

const userIdOf = (actor: Actor) => (actor.kind === 'user' ? actor.user.id : null);

/** How a config change is made: `restart: false` stores it without a release (the next deploy applies it). */
export interface ConfigChangeOptions { restart?: boolean }

/** Applies config changes and, unless told not to, creates a release running the current build with the new config. */
async function changeConfig(db: Knex, actor: Actor, rawName: string, opts: ConfigChangeOptions, change: (c: Record<string, string>) => string): Promise<ReleaseRow | undefined> {
  return db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, rawName);
    const current = await currentRelease(trx, app);
    const config = { ...app.config };
    const description = change(config);
    await trx('apps').where({ id: app.id }).update({ config: JSON.stringify(config) });
    // Stored only: the next push, ps:restart or config change deploys it (releases read apps.config then).
    if (opts.restart === false) return undefined;
    if (!current?.build_id) return undefined; // stored; the first deploy applies it
    return createRelease(trx, app, { buildId: current.build_id, config, description, userId: userIdOf(actor), source: 'config' });
  });
}

/**
 * Decodes an `--encoded` value (Dokku's way to pass multi-line values over SSH): strict base64 (padded, no line
 * breaks) of UTF-8 text. Anything else is E_CONFIG_VALUE_INVALID naming the key; nothing is stored then.
 */
export function decodeConfigValue(key: string, encoded: string): string {
  // Strict: only what encodes back to exactly the same text (padding, alphabet, length and spare bits all checked).
  if (Buffer.from(encoded, 'base64').toString('base64') !== encoded) {
    throw new PaasError('E_CONFIG_VALUE_INVALID', `${key}: --encoded values must be base64 (padded with =, on one line: base64 -w0 makes one)`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw new PaasError('E_CONFIG_VALUE_INVALID', `${key}: the --encoded value does not decode to UTF-8 text`);
  }
}

/** Parses KEY=VALUE pairs (the security boundary for config keys and values); `encoded`: each VALUE is base64. */
export function parseConfigPairs(pairs: string[], opts: { encoded?: boolean } = {}): Record<string, string> {
  if (!pairs.length) throw new PaasError('E_USAGE', 'Give at least one KEY=VALUE');
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new PaasError('E_CONFIG_VALUE_INVALID', `"${p.slice(0, 80)}" is not KEY=VALUE`);
    const key = parseConfigKey(p.slice(0, eq));
    const value = opts.encoded ? decodeConfigValue(key, p.slice(eq + 1)) : p.slice(eq + 1);
    // No environment variable can hold a NUL byte: every process start of the app would fail on it.
    if (value.includes('\0')) throw new PaasError('E_CONFIG_VALUE_INVALID', `${key}: config values cannot contain a NUL byte`);
    out[key] = value;
  }
  return out;
}

/** config:set — returns the new release, or undefined when none was made (no release yet, or `restart: false`). */
export async function setConfig(db: Knex, actor: Actor, app: string, pairs: string[], opts: ConfigChangeOptions & { encoded?: boolean } = {}): Promise<ReleaseRow | undefined> {
  const vars = parseConfigPairs(pairs, opts);
  return changeConfig(db, actor, app, opts, (c) => { Object.assign(c, vars); return `Set ${Object.keys(vars).join(', ')}`; });
}

/** config:unset — keys must be valid; unknown keys are reported. */
export async function unsetConfig(db: Knex, actor: Actor, app: string, keys: string[], opts: ConfigChangeOptions = {}): Promise<ReleaseRow | undefined> {
  if (!keys.length) throw new PaasError('E_USAGE', 'Give at least one KEY to unset');
  keys.forEach(parseConfigKey);
  return changeConfig(db, actor, app, opts, (c) => {
    const missing = keys.filter((k) => !(k in c));
    if (missing.length) throw new PaasError('E_CONFIG_KEY_NOT_FOUND', `Not set on this app: ${missing.join(', ')}`);
    keys.forEach((k) => delete c[k]);
    return `Unset ${keys.join(', ')}`;
  });
}

/** rollback — a new release from an earlier one's build and config (default: the one before the current). */
export async function rollback(db: Knex, actor: Actor, rawName: string, target?: string): Promise<ReleaseRow> {
  return db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, rawName);
    const current = await currentRelease(trx, app);
    if (!current) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
    const q = trx('releases').where({ app_id: app.id }).whereNotNull('build_id');
    if (target !== undefined) {
      const m = /^v?(\d+)$/.exec(target);
      if (!m) throw new PaasError('E_USAGE', `"${target}" is not a release version like v3`);
      q.where({ version: Number(m[1]) });
    } else {
      q.where('version', '<', current.version).where({ status: 'succeeded' }).orderBy('version', 'desc');
    }
    const old = (await q.first()) as ReleaseRow | undefined;
    if (!old) throw new PaasError('E_RELEASE_NOT_FOUND', target ? `${app.name} has no release ${target}` : `${app.name} has no earlier release to roll back to`);
    const build = await trx('builds').where({ id: old.build_id }).first('slug_dir', 'image');
    if (!build?.slug_dir && !build?.image) {
      throw new PaasError('E_RELEASE_PRUNED', `v${old.version}'s build was deleted (its slug or image): the platform keeps only the newest builds (PAAS_SLUG_RETENTION). Roll back to a newer release, or push that commit again`);
    }
    await trx('apps').where({ id: app.id }).update({ config: JSON.stringify(old.config) });
    return createRelease(trx, app, { buildId: old.build_id, config: old.config, description: `Rollback to v${old.version}`, userId: userIdOf(actor), source: 'rollback' });
  });
}

/** Waits until a release's deploy finishes, postdeploy scripts included (polling the database, the source of truth); returns the final row. */
export async function waitForRelease(db: Knex, releaseId: number, timeoutMs = 10 * 60_000): Promise<ReleaseRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = (await db('releases').where({ id: releaseId }).first()) as ReleaseRow;
    if ((row.status === 'succeeded' && row.lease_expires_at == null) || row.status === 'failed') return row; // a lease: postdeploy runs
    if (Date.now() > deadline) return row;
    await new Promise((r) => setTimeout(r, 200));
  }
}
