// gitd/push-lock.ts — the per-app push lock, as a lease in the database: a second push is refused at once, and
// a crashed holder's lease simply expires, so the lock is released on every path.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PaasError } from '../core/errors.ts';
import { recordPushLock, recordPushLockRefusal, secondsSince } from '../core/metrics/record.ts';

export interface PushLease { app: string; holder: string; release(): Promise<void> }

/** What a caller of the lock that is not a push (ref-reconcile.ts) asks: no push metric counted. */
export interface LockOptions { notAPush?: boolean }

/** Counts a push refused because the app's lock is held (paas_pushes_total{refused} too), and throws E_PUSH_LOCKED. */
function refuseLocked(app: string, started: number): never {
  recordPushLockRefusal(secondsSince(started));
  throw new PaasError('E_PUSH_LOCKED', `Another push to ${app} is in progress; wait for it to finish, then push again`);
}

/**
 * Takes the app's push lock or throws E_PUSH_LOCKED; the lease (`ttlSeconds`, config.leaseSeconds) renews itself
 * until released, and lapses that long after its holder died. `notAPush`: the metrics leave this attempt out.
 */
export async function acquirePushLock(db: Knex, app: string, userId: number, ttlSeconds = 60, opts: LockOptions = {}): Promise<PushLease> {
  const holder = crypto.randomUUID();
  const started = performance.now();
  const expires = db.raw('now() + make_interval(secs => ?)', [ttlSeconds]);
  const rows = await db.raw(
    `INSERT INTO push_locks (app, holder, user_id, expires_at) VALUES (?, ?, ?, ${expires.toQuery()})
     ON CONFLICT (app) DO UPDATE SET holder = EXCLUDED.holder, user_id = EXCLUDED.user_id, expires_at = EXCLUDED.expires_at
     WHERE push_locks.expires_at < now() RETURNING holder`, [app, holder, userId]);
  if (rows.rows.length === 0) {
    if (opts.notAPush) throw new PaasError('E_PUSH_LOCKED', `Another push to ${app} is in progress`);
    refuseLocked(app, started);
  }
  if (!opts.notAPush) recordPushLock('acquired', secondsSince(started));
  const timer = setInterval(() => {
    db('push_locks').where({ app, holder }).update({ expires_at: expires }).catch(() => undefined);
  }, (ttlSeconds / 3) * 1000);
  timer.unref();
  return {
    app, holder,
    async release() {
      clearInterval(timer);
      await db('push_locks').where({ app, holder }).delete();
    },
  };
}

/**
 * Throws E_PUSH_LOCKED (counted as a refused push) when some push holds the app's lock: git over HTTP asks at
 * GET /info/refs, before the POST that would take the lock, so a refused HTTP push is told (and counted) there.
 */
export async function refuseIfPushLocked(db: Knex, app: string): Promise<void> {
  const started = performance.now();
  if (await db('push_locks').where({ app }).where('expires_at', '>', db.fn.now()).first()) refuseLocked(app, started);
}
