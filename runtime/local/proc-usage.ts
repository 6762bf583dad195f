// runtime/local/proc-usage.ts — what one local process tree uses, read from Linux /proc and, where the instance has
// its own cgroup (the sandbox makes one per process), from that cgroup. Used by runtime/local/usage.ts.
import fs from 'node:fs';
import path from 'node:path';
import { parseProcCgroup } from './cgroups.ts';

/**
 * USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux architecture the platform runs on (the kernel
 * fixes it for userspace whatever its own HZ), so it is not asked of `getconf CLK_TCK` at each start.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** One process as /proc/<pid>/stat shows it. */
export interface ProcStat { pid: number; ppid: number; startTicks: number; cpuTicks: number }

/**
 * Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so fields are counted from
 * its last `)`. CPU is utime + stime + cutime + cstime: what the process and its children it waited for used.
 */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const num = (field: number) => Number(rest[field - 3]);
  const ppid = num(4);
  const cpuTicks = num(14) + num(15) + num(16) + num(17);
  if (!Number.isFinite(ppid) || !Number.isFinite(cpuTicks)) return undefined;
  return { pid, ppid, startTicks: num(22), cpuTicks };
}

/** VmRSS of /proc/<pid>/status, in bytes (0 for kernel threads and zombies, which have none). */
export function parseVmRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Reads a file, or undefined when it is gone (the process ended while we looked) or unreadable. */
function readOrNothing(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; }
}

/** Every process of the host, once per reading: each instance's tree is walked in it. */
export class ProcTable {
  private readonly stats = new Map<number, ProcStat>();
  private readonly children = new Map<number, number[]>();

  constructor(private readonly proc = '/proc') {
    let names: string[] = [];
    try { names = fs.readdirSync(proc); } catch { return; }
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      const text = readOrNothing(path.join(proc, name, 'stat'));
      const stat = text === undefined ? undefined : parseProcStat(Number(name), text);
      if (!stat) continue;
      this.stats.set(stat.pid, stat);
      this.children.set(stat.ppid, [...(this.children.get(stat.ppid) ?? []), stat.pid]);
    }
  }

  /** The process and all below it that were running at the reading. */
  tree(pid: number): ProcStat[] {
    const root = this.stats.get(pid);
    if (!root) return [];
    const out = [root];
    for (let i = 0; i < out.length; i++) {
      for (const c of this.children.get(out[i]!.pid) ?? []) out.push(this.stats.get(c)!);
    }
    return out;
  }

  /** CPU seconds and summed RSS of the tree below pid (shared pages count once per process, as `ps` shows them). */
  treeUsage(pid: number): { cpuSeconds: number; memoryBytes: number } | undefined {
    const tree = this.tree(pid);
    if (tree.length === 0) return undefined;
    let ticks = 0;
    let rss = 0;
    for (const p of tree) {
      ticks += p.cpuTicks;
      rss += parseVmRss(readOrNothing(path.join(this.proc, String(p.pid), 'status')) ?? '');
    }
    return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, memoryBytes: rss };
  }

  /** The start time of a process (clock ticks since boot): with the pid, it names one run of it. */
  startOf(pid: number): number | undefined {
    return this.stats.get(pid)?.startTicks;
  }
}

/** A value of a `key value` file (cpu.stat, memory.stat); undefined when missing. */
export function statValue(text: string | undefined, key: string): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * The instance's own cgroup dir (v2, or v1's memory hierarchy), when the process is in one the sandbox made for
 * this dyno (its name starts `<app>.<type>.<index>.`, cgroups.ts/jail.ts); undefined otherwise (no sandbox, or
 * the platform's cgroup: that one would count the whole platform).
 */
export function instanceCgroup(pid: number, dyno: string, proc = '/proc', root = '/sys/fs/cgroup'): { kind: 'v1' | 'v2'; dir: string } | undefined {
  const text = readOrNothing(path.join(proc, String(pid), 'cgroup'));
  if (text === undefined) return undefined;
  const groups = parseProcCgroup(text);
  const memory = groups.get('memory');
  const kind = memory !== undefined ? 'v1' : 'v2';
  const rel = memory ?? groups.get('');
  if (rel === undefined || !path.basename(rel).startsWith(`${dyno}.`)) return undefined;
  return { kind, dir: kind === 'v1' ? path.join(root, 'memory', rel) : path.join(root, rel) };
}

/**
 * What the cgroup says: memory in use less the inactive file cache (what `docker stats` shows), and on v2 the CPU
 * (cpu.stat usage_usec; v1 has CPU in another hierarchy, where the sandbox makes no cgroup, so it is undefined).
 */
export function cgroupUsage(cg: { kind: 'v1' | 'v2'; dir: string }): { cpuSeconds?: number; memoryBytes: number } | undefined {
  const read = (file: string) => readOrNothing(path.join(cg.dir, file));
  const stat = read('memory.stat');
  const current = Number(read(cg.kind === 'v2' ? 'memory.current' : 'memory.usage_in_bytes'));
  if (!Number.isFinite(current) || stat === undefined) return undefined;
  const inactive = statValue(stat, cg.kind === 'v2' ? 'inactive_file' : 'total_inactive_file') ?? 0;
  const usec = cg.kind === 'v2' ? statValue(read('cpu.stat'), 'usage_usec') : undefined;
  return { memoryBytes: Math.max(0, current - inactive), ...(usec !== undefined ? { cpuSeconds: usec / 1e6 } : {}) };
}
