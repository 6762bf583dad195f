// controller/build-budget.ts — the plan's build minutes around one build (controller/builder.ts): refuses a build
// with none left, aborts the running build when it reaches the month's limit (the drivers end it: native steps are
// killed, the Docker build cancelled, a Kubernetes build Job gets the time left as its deadline), and keeps the
// build's seconds in the month's ledger while it runs, whatever its outcome.
//
// Concurrent builds: the ledger row is opened when the build starts and its seconds are written every tick (15 s),
// then the month's budget is read again (every running build's seconds included) and the build stopped when none is
// left. So N builds of one plan running at once overrun the limit by at most about N ticks, and a crash loses at
// most one tick of a build's seconds.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { buildBudget, buildStopped, minutesUsedUp, recordBuildSeconds, setBuildSeconds, type BuildBudget } from '../services/build-minutes.ts';

/** How often a running build's seconds are written and the budget read again. */
export const BUDGET_TICK_MS = 15_000;
/** The longest delay setTimeout honours: Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The delay of the abort timer for the time left, clamped to what setTimeout honours (it re-arms when it fires early). */
export function abortDelayMs(leftMs: number): number {
  return Math.max(0, Math.min(leftMs, MAX_TIMER_MS));
}

/** A running build's budget: the signal to hand the driver, and the verdict once it ended. */
export interface BuildGuard {
  signal?: AbortSignal;
  deadlineMs?: number;
  /** The plan's refusal when the build was stopped at the limit (then it replaces the driver's own error). */
  stoppedError(): Error | undefined;
  /** Stops the timers and records the build's seconds. */
  end(): Promise<void>;
}

/** Starts the budget of one build; throws E_QUOTA_BUILD_MINUTES when the month's minutes are used up already. */
export async function guardBuild(db: Knex, log: Logger, app: { id: number; name: string }, buildId: string, tickMs = BUDGET_TICK_MS): Promise<BuildGuard> {
  const started = performance.now();
  const budget: BuildBudget | undefined = await buildBudget(db, app.id);
  if (budget && budget.leftMs <= 0) throw minutesUsedUp(budget);
  const logged = (what: string) => (err: unknown) => { log.error({ err, app: app.name, buildId }, what); };
  // Opened now, so a crash mid-build still charges it; a resumed build adds to its row (base). Under a plan with a
  // minutes limit a build that cannot open its row does not run (its later writes would update nothing: free minutes).
  const opening = recordBuildSeconds(db, app.id, app.name, buildId, new Date(), 0);
  const base = (await (budget ? opening : opening.catch(logged('build minutes not recorded')))) ?? 0;
  const write = () => setBuildSeconds(db, buildId, base + (performance.now() - started) / 1000);
  const controller = budget ? new AbortController() : undefined;
  let deadline = started + (budget?.leftMs ?? 0);
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const arm = () => {
    clearTimeout(timer);
    if (!controller || controller.signal.aborted || ended) return;
    const left = deadline - performance.now();
    if (left <= 0) controller.abort(buildStopped(budget!));
    else timer = setTimeout(arm, abortDelayMs(left)).unref(); // fired early (clamped): armed again for the rest
  };
  arm();
  let ticking: Promise<void> = Promise.resolve();
  let ticker: NodeJS.Timeout | undefined;
  const tick = async () => {
    await write();
    const now = budget && (await buildBudget(db, app.id));
    if (now) { deadline = performance.now() + now.leftMs; arm(); }
  };
  const schedule = () => { ticker = setTimeout(() => { ticking = tick().catch(logged('build minutes not updated')).then(() => { if (!ended) schedule(); }); }, tickMs).unref(); };
  schedule();
  return {
    signal: controller?.signal,
    deadlineMs: budget?.leftMs,
    stoppedError: () => (controller?.signal.aborted ? buildStopped(budget!) : undefined),
    async end() {
      ended = true;
      clearTimeout(ticker);
      clearTimeout(timer);
      await ticking;
      await write().catch(logged('build minutes not recorded'));
    },
  };
}
