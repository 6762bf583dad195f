// runtime/docker/usage.ts — Docker mode's UsageSource: each running process container of this platform, read once
// through the Engine's stats API (stream=false, one-shot=true: no second sample to wait for), a few at a time, each
// within a deadline. The controller's sampler reads it (runtime/select.ts wires it in Docker and local mode).
import type Docker from 'dockerode';
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

/** Reads the process containers of this platform (the `paas.platform` label and our names: listOwn). */
export class DockerUsage implements UsageSource {
  constructor(private readonly docker: Docker, private readonly platform: string, private readonly opts: DockerUsageOptions = {}) {}

  async usage(apps: string[]): Promise<ProcessUsage[]> {
    const wanted = new Set(apps);
    const listed = await listOwn(this.docker, this.platform, { roles: ['process'] });
    const running = listed.filter((c) => c.State === 'running' && wanted.has(c.Labels[labels.app] ?? ''));
    const out: ProcessUsage[] = [];
    await eachLimited(running, this.opts.concurrency ?? 4, async (c) => {
      const stats = await this.stats(c.Id);
      if (!stats) return;
      const l = c.Labels;
      out.push({ app: l[labels.app]!, type: l[labels.type] ?? '', index: Number(l[labels.index]), ...toUsageFigures(stats), instance: c.Id });
    });
    return out;
  }

  /** One container's stats; undefined when it went away or did not answer in time (the next reading tries again). */
  private async stats(id: string): Promise<EngineStats | undefined> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 5000);
    try {
      // `one-shot` is a query parameter dockerode passes on as given; its types do not know it.
      const opts = { stream: false as const, 'one-shot': true, abortSignal: signal };
      return (await this.docker.getContainer(id).stats(opts)) as unknown as EngineStats;
    } catch {
      return undefined;
    }
  }
}
