// runtime/docker/usage.ts — Docker mode's UsageSource: each running process container of this platform, read once
// through the Engine's stats API (stream=false, one-shot=true: no second sample to wait for), a few at a time, each
// within a deadline. The controller's sampler reads it (runtime/select.ts wires it in Docker and local mode).
import type Docker from 'dockerode';
import type { Logger } from '../../core/logger.ts';
import type { ProcessUsage, UsageSource } from '../usage.ts';
import { listOwn } from './containers.ts';
import { labels } from './names.ts';

/** The part of the Engine's stats answer used here (cgroup v1 and v2 name the page cache differently). */
export interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

export interface DockerUsageOptions {
  /** Stats calls at once; default 4 (each makes the Engine read a cgroup). */
  concurrency?: number;
  /** One stats call's deadline; default 5000 ms. A container that does not answer in time is left out of the reading. */
  timeoutMs?: number;
  /** Where the one warning per reading goes when containers could not be read (timed out or failed). */
  log?: Pick<Logger, 'warn'>;
}

/**
 * CPU seconds (total_usage is ns) and resident memory: usage less the inactive page cache (`inactive_file` on
 * cgroup v2, `total_inactive_file` on v1, else v1's `cache`), as `docker stats` shows it.
 */
export function toUsageFigures(stats: EngineStats): { cpuSeconds: number; memoryBytes: number } {
  const cpuSeconds = (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9;
  const m = stats.memory_stats ?? {};
  const s = m.stats ?? {};
  const cache = s.inactive_file ?? s.total_inactive_file ?? s.cache ?? 0;
  return { cpuSeconds, memoryBytes: Math.max(0, (m.usage ?? 0) - cache) };
}

/** Runs fn over items, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++] as T); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One container's reading, or why there is none: gone (stopped meanwhile), timed out, or failed. */
type Outcome = { stats: EngineStats; startedAt: string } | 'gone' | 'timeout' | 'failed';

/** Reads the process containers of this platform (the `paas.platform` label and our names: listOwn). */
export class DockerUsage implements UsageSource {
  constructor(private readonly docker: Docker, private readonly platform: string, private readonly opts: DockerUsageOptions = {}) {}

  async usage(apps: string[], signal?: AbortSignal): Promise<ProcessUsage[]> {
    const wanted = new Set(apps);
    const listed = await listOwn(this.docker, this.platform, { roles: ['process'] });
    const running = listed.filter((c) => c.State === 'running' && wanted.has(c.Labels[labels.app] ?? ''));
    const out: ProcessUsage[] = [];
    const missed = { timeout: 0, failed: 0 };
    await eachLimited(running, this.opts.concurrency ?? 4, async (c) => {
      if (signal?.aborted) return;
      const read = await this.read(c.Id, signal);
      if (typeof read === 'string') {
        if (read !== 'gone') missed[read] += 1;
        return;
      }
      const l = c.Labels;
      out.push({
        app: l[labels.app]!, type: l[labels.type] ?? '', index: Number(l[labels.index]), ...toUsageFigures(read.stats),
        // StartedAt changes when the Engine restarts the container in place (on-failure): a new run, a new counter.
        instance: `${c.Id}@${read.startedAt}`, startedAt: Date.parse(read.startedAt),
      });
    });
    signal?.throwIfAborted();
    // One warning per reading: those containers' CPU is counted at the next reading that reaches them.
    if (missed.timeout + missed.failed > 0) this.opts.log?.warn({ ...missed, of: running.length }, `docker stats: ${missed.timeout + missed.failed} of ${running.length} containers not read`);
    return out;
  }

  /** One container's start time and stats, each call within the deadline (and abandoned with `signal`). */
  private async read(id: string, signal?: AbortSignal): Promise<Outcome> {
    const deadline = AbortSignal.timeout(this.opts.timeoutMs ?? 5000);
    const abortSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const container = this.docker.getContainer(id);
    try {
      // `one-shot` is a query parameter dockerode passes on as given; its types do not know it.
      const opts = { stream: false as const, 'one-shot': true, abortSignal };
      const [info, stats] = await Promise.all([container.inspect({ abortSignal }), container.stats(opts)]);
      return { stats: stats as unknown as EngineStats, startedAt: info.State.StartedAt };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return 'gone';
      return deadline.aborted ? 'timeout' : 'failed';
    }
  }
}
