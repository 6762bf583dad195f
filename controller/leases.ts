// controller/leases.ts — the leases that builds and deploys in progress hold (`lease_expires_at`), so a crashed
// worker's work is taken over once its lease lapses; the builder and the deployer take and renew them.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';

/** A lease that ends `seconds` from now (SQL). */
export function leaseFrom(db: Knex, seconds: number): Knex.Raw {
  return db.raw('now() + make_interval(secs => ?)', [seconds]);
}

/**
 * Keeps a lease alive while its work runs; returns the function that stops renewing. Work that has finished is never
 * leased again (a renewal racing the finish): a succeeded release with a lease reads as still running its postdeploy.
 */
export function holdLease(db: Knex, table: 'builds' | 'releases', id: string | number, log: Logger, seconds: number): () => void {
  const timer = setInterval(() => {
    db(table).where({ id }).whereNull('finished_at').update({ lease_expires_at: leaseFrom(db, seconds) })
      .catch((err: unknown) => log.warn({ err, table, id }, 'could not renew a lease; it may be taken over'));
  }, (seconds * 1000) / 3);
  return () => clearInterval(timer);
}
