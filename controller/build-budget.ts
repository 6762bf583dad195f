// controller/build-budget.ts — the plan's build minutes around one build (controller/builder.ts): refuses a build
// with none left, aborts the running build when it reaches the month's limit (the drivers end it: native steps are
// killed, the Docker build cancelled, a Kubernetes build Job gets the time left as its deadline), and adds the
// build's seconds to the month's ledger when it ends, whatever its outcome.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { buildBudget, buildStopped, minutesUsedUp, recordBuildSeconds, type BuildBudget } from '../services/build-minutes.ts';

/** A running build's budget: the signal to hand the driver, and the verdict once it ended. */
export interface BuildGuard {
  signal?: AbortSignal;
  deadlineMs?: number;
  /** The plan's refusal when the build was stopped at the limit (then it replaces the driver's own error). */
  stoppedError(): Error | undefined;
  /** Stops the timer and records the build's seconds. */
  end(): Promise<void>;
}

/** Starts the budget of one build; throws E_QUOTA_BUILD_MINUTES when the month's minutes are used up already. */
export async function guardBuild(db: Knex, log: Logger, app: { id: number; name: string }, buildId: string): Promise<BuildGuard> {
  const startedAt = new Date();
  const started = performance.now();
  const budget: BuildBudget | undefined = await buildBudget(db, app.id);
  if (budget && budget.leftMs <= 0) throw minutesUsedUp(budget);
  const controller = budget ? new AbortController() : undefined;
  const timer = budget && setTimeout(() => controller!.abort(buildStopped(budget)), budget.leftMs);
  return {
    signal: controller?.signal,
    deadlineMs: budget?.leftMs,
    stoppedError: () => (controller?.signal.aborted ? buildStopped(budget!) : undefined),
    async end() {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      await recordBuildSeconds(db, app.id, app.name, buildId, startedAt, seconds).catch((err: unknown) => {
        log.error({ err, app: app.name, buildId }, 'build minutes not recorded');
      });
    },
  };
}
