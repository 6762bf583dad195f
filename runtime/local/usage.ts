// runtime/local/usage.ts — the embedded mode's UsageSource: CPU and memory of each supervised instance's whole
// process tree, from its own cgroup where the sandbox made one, else from /proc. The controller's sampler reads it.
import type { ProcessStatus } from '../types.ts';
import type { ProcessUsage, UsageSource } from '../usage.ts';
import { CLOCK_TICKS_PER_SECOND, ProcTable, bootClock, cgroupPids, cgroupUsage, instanceCgroup, readProcStat, summedRss } from './proc-usage.ts';

/** Where the process tables are (tests point them elsewhere only to read a made-up tree). */
export interface LocalUsageOptions { proc?: string; cgroupRoot?: string }

/** The states whose pid is a live process of the instance; a crashed or exited one's pid may be another's by now. */
const LIVE = new Set<ProcessStatus['state']>(['starting', 'up', 'stopping']);

/** CPU and memory of one instance, and which counter the CPU came from (a switch of counter is a new baseline). */
type Figures = { cpuSeconds: number; memoryBytes: number; source: 'cgroup' | 'proc' };

/** Reads the usage of the Supervisor's live instances (the platform runs as root, so other uids' /proc is readable). */
export class LocalUsage implements UsageSource {
  constructor(private readonly supervisor: { status(app: string): ProcessStatus[] }, private readonly opts: LocalUsageOptions = {}) {}

  async usage(apps: string[]): Promise<ProcessUsage[]> {
    const running = apps.flatMap((app) => this.supervisor.status(app)).filter((s) => s.pid !== undefined && s.startTicks !== undefined && LIVE.has(s.state));
    if (running.length === 0) return [];
    const toEpochMs = await bootClock(this.opts.proc);
    let table: Promise<ProcTable> | undefined; // the whole host's, only if an instance has no cgroup of its own
    const hostTable = () => (table ??= ProcTable.read(this.opts.proc));
    const read = await Promise.all(running.map((s) => this.read(s, hostTable, toEpochMs)));
    return read.filter((u): u is ProcessUsage => u !== undefined);
  }

  /**
   * One instance; undefined once it is gone, or when its pid now names another process (its start time differs from
   * the one recorded at spawn: the pid was reused, maybe by another tenant).
   */
  private async read(s: ProcessStatus, hostTable: () => Promise<ProcTable>, toEpochMs: (ticks: number) => number): Promise<ProcessUsage | undefined> {
    const pid = s.pid as number;
    const main = await readProcStat(pid, this.opts.proc);
    if (!main || main.startTicks !== s.startTicks) return undefined;
    const figures = await this.figures(s, pid, hostTable);
    if (!figures) return undefined;
    return {
      app: s.app, type: s.type, index: s.index, cpuSeconds: figures.cpuSeconds, memoryBytes: figures.memoryBytes,
      instance: `${pid}@${main.startTicks}:${figures.source}`, startedAt: toEpochMs(main.startTicks),
    };
  }

  /** The cgroup first (memory, and CPU on v2); /proc only for what it does not give, its pids from cgroup.procs if it has them. */
  private async figures(s: ProcessStatus, pid: number, hostTable: () => Promise<ProcTable>): Promise<Figures | undefined> {
    const { proc, cgroupRoot } = this.opts;
    const cg = await instanceCgroup(pid, `${s.app}.${s.type}.${s.index}`, proc, cgroupRoot);
    const fromCgroup = cg ? await cgroupUsage(cg) : undefined;
    if (fromCgroup?.cpuSeconds !== undefined) return { cpuSeconds: fromCgroup.cpuSeconds, memoryBytes: fromCgroup.memoryBytes, source: 'cgroup' };
    const pids = cg ? await cgroupPids(cg) : undefined;
    let cpu: { cpuSeconds: number; pids: number[] } | undefined;
    if (pids && pids.length > 0) {
      const stats = (await Promise.all(pids.map((p) => readProcStat(p, proc)))).filter((x) => x !== undefined);
      cpu = { cpuSeconds: stats.reduce((n, x) => n + x.cpuTicks, 0) / CLOCK_TICKS_PER_SECOND, pids };
    } else {
      cpu = (await hostTable()).treeCpu(pid);
    }
    if (!cpu) return undefined; // ended since the status was taken
    const memoryBytes = fromCgroup?.memoryBytes ?? await summedRss(cpu.pids, proc);
    return { cpuSeconds: cpu.cpuSeconds, memoryBytes, source: 'proc' };
  }
}
