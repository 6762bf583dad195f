// controller/review-sweep.ts — the periodic sweep that destroys review apps not pushed to within their parent's
// expiry (services/review-push.ts does the work, one controller at a time under an advisory lock).
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { sweepExpiredReviewApps } from '../services/review-push.ts';

/** How often the sweep looks; expiries are at least an hour, so a few minutes late is fine. */
export const REVIEW_SWEEP_INTERVAL_MS = 5 * 60 * 1000;

/** Starts the sweep; returns the function that stops it (and waits for a sweep in progress). */
export function startReviewSweep(db: Knex, log: Logger, intervalMs = REVIEW_SWEEP_INTERVAL_MS): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = sweepExpiredReviewApps(db, new Date()).then(
      (names) => { if (names.length) log.info({ apps: names }, 'destroyed expired review apps'); },
      (err: unknown) => log.warn({ err }, 'the review-app expiry sweep failed; it runs again at the next interval'),
    );
  };
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return async () => { clearInterval(timer); await running; };
}
