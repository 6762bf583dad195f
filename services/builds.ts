// services/builds.ts — build records and their logs: each line is published live on paas.build.<id>.log and
// stored, so builds:output replays a finished build and follows a running one.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { publish, type Bus } from '../core/bus.ts';
import { PaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ReleaseRow } from './releases.ts';
import type { AppJson } from '../builders/app-json-types.ts';

export interface BuildRow {
  id: string; app_id: number; number: number; ref: string; rev: string; status: 'building' | 'succeeded' | 'failed';
  stack: string | null; process_types: Record<string, string> | null; path_prepend: string[] | null;
  slug_dir: string | null; image: string | null; error: string | null; user_id: number | null; created_at: Date; finished_at: Date | null;
  /** The push's validated app.json (builders/app-json.ts); null when the tree had none. */
  app_json: AppJson | null;
}

/** Writes a build's log: publishes each line at once, stores them in small batches. */
/** Lines a crashed worker may have published but not stored; a resumed log numbers on past them (see BuildLog.resume). */
export const UNSTORED_LINES = 1000;

export class BuildLog {
  private seq = 0;
  private pending: Array<{ build_id: string; seq: number; line: string }> = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private failures = 0;

  constructor(private db: Knex, private bus: Bus, private log: Logger, readonly buildId: string, readonly app: string) {}

  /**
   * Continues numbering after lines already stored (a deploy appends to its build's log). `skip` leaves room for
   * lines a crashed writer published but never stored: a push relaying the log drops numbers it has seen already.
   */
  async resume(skip = 0): Promise<this> {
    const row = await this.db('build_log_lines').where({ build_id: this.buildId }).max('seq as max').first();
    this.seq = Number(row?.max ?? 0) + skip;
    return this;
  }

  line = (text: string): void => {
    const seq = ++this.seq;
    this.pending.push({ build_id: this.buildId, seq, line: text });
    void publish(this.bus, 'buildLog', { buildId: this.buildId, app: this.app, seq, line: text }, this.buildId);
    if (this.pending.length >= 50) void this.flush();
    // Stored within a quarter second too, so followers that join late (dashboard, builds:output) see no gap.
    else this.timer ??= setTimeout(() => void this.flush(), 250).unref();
  };

  /** Stores the buffered lines; call before announcing the build's outcome. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    this.flushing = this.flushing.then(async () => {
      if (batch.length) await this.db('build_log_lines').insert(batch).onConflict(['build_id', 'seq']).ignore();
      this.failures = 0;
    }).catch((err: unknown) => {
      // The database may be restarting: keep the lines for a later flush, so the stored log stays whole.
      if (++this.failures > 60) return this.log.error({ err, buildId: this.buildId }, 'could not store build log lines; giving up');
      this.pending.unshift(...batch);
      this.timer ??= setTimeout(() => void this.flush(), 1000).unref();
      this.log.warn({ err, buildId: this.buildId }, 'could not store build log lines yet; will retry');
    });
    return this.flushing;
  }
}

export async function listBuilds(db: Knex, app: AppRow, limit = 30): Promise<Array<BuildRow & { email: string | null }>> {
  return db('builds').leftJoin('users', 'users.id', 'builds.user_id').where({ app_id: app.id })
    .orderBy('number', 'desc').limit(limit).select('builds.*', 'users.email');
}

/** Finds a build by number (3), by id, or the latest when no reference is given. */
export async function findBuild(db: Knex, app: AppRow, ref?: string): Promise<BuildRow> {
  const q = db('builds').where({ app_id: app.id });
  if (ref === undefined) q.orderBy('number', 'desc');
  else if (/^\d+$/.test(ref)) q.where({ number: Number(ref) });
  else if (/^[0-9a-f-]{36}$/.test(ref)) q.where({ id: ref });
  else throw new PaasError('E_USAGE', `"${ref.slice(0, 80)}" is not a build number or id`);
  const row = await q.first();
  if (!row) throw new PaasError('E_BUILD_NOT_FOUND', ref ? `${app.name} has no build ${ref}` : `${app.name} has no builds yet: git push first`);
  return row as BuildRow;
}

/** Stored log lines of a build after a sequence number. */
export async function buildLines(db: Knex, buildId: string, afterSeq = 0): Promise<Array<{ seq: number; line: string }>> {
  return db('build_log_lines').where({ build_id: buildId }).where('seq', '>', afterSeq).orderBy('seq').select('seq', 'line');
}

export type PushOutcome = 'running' | 'succeeded' | 'failed';

interface Stated { status: string; error?: string | null; lease_expires_at?: Date | null }

/**
 * The one rule for "is this push still running?": its build is building, or the release it made is not deployed
 * yet (pending, deploying), or is live but its app.json postdeploy scripts still run (succeeded, the deploy's lease
 * still held: controller/deployer.ts goLive). The push's wait, `builds:output`, the build page and the app's status all ask it.
 */
export function isRunning(build: Stated | undefined, release: Stated | undefined): boolean {
  return build?.status === 'building' || release?.status === 'pending' || release?.status === 'deploying'
    || (release?.status === 'succeeded' && release.lease_expires_at != null);
}

/**
 * How a push ended, from its build and the release that build made. No build row yet: the controller has not
 * claimed the push, so it runs. A succeeded build always has its release (the builder writes both in one
 * transaction), so a succeeded build without one is over.
 */
export function outcomeOf(build: Stated | undefined, release: Stated | undefined): PushOutcome {
  if (!build || isRunning(build, release)) return 'running';
  // A live release with an error: its app.json postdeploy script failed, so the push did too.
  return build.status === 'failed' || release?.status === 'failed' || !!release?.error ? 'failed' : 'succeeded';
}

/** The release a push's build made: its first (a rollback to that build makes later ones). */
export async function releaseOfBuild(db: Knex, buildId: string): Promise<ReleaseRow | undefined> {
  return db('releases').where({ build_id: buildId }).orderBy('version').first();
}

/** The outcome of the push that made build `buildId`, read from the database. */
export async function pushOutcome(db: Knex, buildId: string): Promise<PushOutcome> {
  const build = await db('builds').where({ id: buildId }).first('status');
  return outcomeOf(build, build && await releaseOfBuild(db, buildId));
}
