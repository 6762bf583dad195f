// runtime/usage.ts — what the app processes use (CPU, memory), as the runtime knows it: the controller's sampler
// reads it every 10 s into the app's time series (app_metrics) and into the board, which /metrics reads at a scrape.

/** One process instance's usage; `cpuSeconds` is cumulative since the instance started (counters, not rates). */
export interface ProcessUsage {
  app: string;
  type: string;
  index: number;
  cpuSeconds: number;
  memoryBytes: number;
  /**
   * Which run of the instance this is (local: pid and start time; Docker: the container id), so a reader of the
   * counters can tell a restarted instance, whose counter started again, from one that kept running.
   */
  instance?: string;
}

/** A runtime that can say what its processes use (local: /proc or the cgroup; Docker: the stats API). */
export interface UsageSource {
  usage(apps: string[]): Promise<ProcessUsage[]>;
}

/** One source reading several runtimes (local mode with Dockerfile apps on the Engine): their lists joined. */
export function combinedUsage(sources: readonly UsageSource[]): UsageSource {
  return { usage: async (apps) => (await Promise.all(sources.map((s) => s.usage(apps)))).flat() };
}

/** The latest usage the sampler read, for a scrape to report without asking the runtime again. */
export class UsageBoard {
  private current: readonly ProcessUsage[] = [];
  private at = 0;

  set(list: readonly ProcessUsage[], at = Date.now()): void {
    this.current = list;
    this.at = at;
  }

  /** The latest reading and when it was taken (epoch ms; 0 before the first). */
  get(): { usage: readonly ProcessUsage[]; at: number } {
    return { usage: this.current, at: this.at };
  }
}
