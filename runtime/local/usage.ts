// runtime/local/usage.ts — the embedded mode's UsageSource: CPU and memory of each supervised instance's whole
// process tree, from its own cgroup where the sandbox made one, else from /proc. The controller's sampler reads it.
import type { ProcessStatus } from '../types.ts';
import type { ProcessUsage, UsageSource } from '../usage.ts';
import { ProcTable, cgroupUsage, instanceCgroup } from './proc-usage.ts';

/** Where the process tables are (tests point them elsewhere only to read a made-up tree). */
export interface LocalUsageOptions { proc?: string; cgroupRoot?: string }

/** Reads the usage of the Supervisor's live instances (the platform runs as root, so other uids' /proc is readable). */
export class LocalUsage implements UsageSource {
  constructor(private readonly supervisor: { status(app: string): ProcessStatus[] }, private readonly opts: LocalUsageOptions = {}) {}

  async usage(apps: string[]): Promise<ProcessUsage[]> {
    const running = apps.flatMap((app) => this.supervisor.status(app)).filter((s) => s.pid !== undefined && s.state !== 'exited');
    if (running.length === 0) return [];
    const table = new ProcTable(this.opts.proc);
    const out: ProcessUsage[] = [];
    for (const s of running) {
      const read = this.read(table, s);
      if (read) out.push(read);
    }
    return out;
  }

  /** One instance: the cgroup's memory (and CPU on v2) when it has its own, else /proc; undefined once it is gone. */
  private read(table: ProcTable, s: ProcessStatus): ProcessUsage | undefined {
    const pid = s.pid as number;
    const tree = table.treeUsage(pid);
    if (!tree) return undefined; // ended since the status was taken
    const cg = instanceCgroup(pid, `${s.app}.${s.type}.${s.index}`, this.opts.proc, this.opts.cgroupRoot);
    const fromCgroup = cg ? cgroupUsage(cg) : undefined;
    return {
      app: s.app, type: s.type, index: s.index,
      cpuSeconds: fromCgroup?.cpuSeconds ?? tree.cpuSeconds,
      memoryBytes: fromCgroup?.memoryBytes ?? tree.memoryBytes,
      instance: `${pid}@${table.startOf(pid)}`,
    };
  }
}
