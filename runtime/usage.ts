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
   * Which run of the instance this is, and where its CPU counter was read (local: `<pid>@<start ticks>:<cgroup|proc>`;
   * Docker: `<container id>@<State.StartedAt>`), so a reader of the counters can tell a new run or a switch of
   * counter, which starts a new baseline, from one that kept running.
   */
  instance: string;
  /** When the run started (epoch ms): a run new to the reader counts its whole CPU only if it began after the last reading. */
  startedAt: number;
}

/** A runtime that can say what its processes use (local: /proc or the cgroup; Docker: the stats API). */
export interface UsageSource {
  /** The apps' instances that could be read; `signal` abandons the reading (the controller is stopping). */
  usage(apps: string[], signal?: AbortSignal): Promise<ProcessUsage[]>;
}

/** One source reading several runtimes (local mode with Dockerfile apps on the Engine): their lists joined. */
export function combinedUsage(sources: readonly UsageSource[]): UsageSource {
  return { usage: async (apps, signal) => (await Promise.all(sources.map((s) => s.usage(apps, signal)))).flat() };
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
