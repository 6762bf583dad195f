// gitd/push-lock.ts — the per-app push lock, as a lease in the database: a second push is refused at once, and
// a crashed holder's lease simply expires, so the lock is released on every path.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PaasError } from '../core/errors.ts';
import { recordPushLock, secondsSince } from '../core/metrics/record.ts';

export interface PushLease { app: string; holder: string; release(): Promise<void> }

/**
 * Takes the app's push lock or throws E_PUSH_LOCKED; the lease (`ttlSeconds`, config.leaseSeconds) renews itself
 * until released, and lapses that long after its holder died.
 */
export async function acquirePushLock(db: Knex, app: string, userId: number, ttlSeconds = 60): Promise<PushLease> {
  const holder = crypto.randomUUID();
  const started = performance.now();
  const expires = db.raw('now() + make_interval(secs => ?)', [ttlSeconds]);
  const rows = await db.raw(
    `INSERT INTO push_locks (app, holder, user_id, expires_at) VALUES (?, ?, ?, ${expires.toQuery()})
     ON CONFLICT (app) DO UPDATE SET holder = EXCLUDED.holder, user_id = EXCLUDED.user_id, expires_at = EXCLUDED.expires_at
     WHERE push_locks.expires_at < now() RETURNING holder`, [app, holder, userId]);
  recordPushLock(rows.rows.length === 0 ? 'refused' : 'acquired', secondsSince(started));
  if (rows.rows.length === 0) {
    throw new PaasError('E_PUSH_LOCKED', `Another push to ${app} is in progress; wait for it to finish, then push again`);
  }
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

/** True when some push currently holds the app's lock. */
export async function isPushLocked(db: Knex, app: string): Promise<boolean> {
  return !!(await db('push_locks').where({ app }).where('expires_at', '>', db.fn.now()).first());
}
