// runtime/local/proc-usage.ts — what one local process tree uses, read from Linux /proc and, where the instance has
// its own cgroup (the sandbox makes one per process), from that cgroup. Used by runtime/local/usage.ts.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
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
 * The fields of a /proc/<pid>/stat from field 3 (state) on: field n is at [n - 3]. The command name (field 2) may
 * hold spaces and parentheses (a process names itself), so they are counted from its last `)`.
 */
export function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * Parses /proc/<pid>/stat (statFields). CPU is utime + stime + cutime + cstime: what the process and its children it
 * waited for used.
 */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const rest = statFields(text);
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
async function readOrNothing(file: string): Promise<string | undefined> {
  try { return await fsp.readFile(file, 'utf8'); } catch { return undefined; }
}

/** The start time (ticks since boot) of a process just spawned; one small read, so synchronous. */
export function readStartTicks(pid: number, proc = '/proc'): number | undefined {
  try { return parseProcStat(pid, fs.readFileSync(path.join(proc, String(pid), 'stat'), 'utf8'))?.startTicks; } catch { return undefined; }
}

/** One process's stat, or undefined once it is gone. */
export async function readProcStat(pid: number, proc = '/proc'): Promise<ProcStat | undefined> {
  const text = await readOrNothing(path.join(proc, String(pid), 'stat'));
  return text === undefined ? undefined : parseProcStat(pid, text);
}

/** Summed VmRSS of the processes, in bytes (shared pages count once per process, as `ps` shows them). */
export async function summedRss(pids: readonly number[], proc = '/proc'): Promise<number> {
  const texts = await Promise.all(pids.map((pid) => readOrNothing(path.join(proc, String(pid), 'status'))));
  return texts.reduce((sum, t) => sum + parseVmRss(t ?? ''), 0);
}

/** Turns start ticks into epoch ms, from the seconds since boot (/proc/uptime) read with the clock. */
export async function bootClock(proc = '/proc'): Promise<(startTicks: number) => number> {
  const now = Date.now();
  const uptime = Number((await readOrNothing(path.join(proc, 'uptime')))?.split(' ')[0]);
  const boot = Number.isFinite(uptime) ? now - uptime * 1000 : 0;
  return (ticks) => Math.round(boot + (ticks / CLOCK_TICKS_PER_SECOND) * 1000);
}

/** Every process of the host, once per reading (read only for instances without a cgroup of their own). */
export class ProcTable {
  private readonly stats = new Map<number, ProcStat>();
  private readonly children = new Map<number, number[]>();

  private constructor(private readonly proc: string) {}

  /** Reads every /proc/<pid>/stat (asynchronously: a big host must not stall the controller's event loop). */
  static async read(proc = '/proc'): Promise<ProcTable> {
    const table = new ProcTable(proc);
    let names: string[] = [];
    try { names = await fsp.readdir(proc); } catch { return table; }
    const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readProcStat(Number(n), proc)));
    for (const stat of stats) {
      if (!stat) continue;
      table.stats.set(stat.pid, stat);
      const siblings = table.children.get(stat.ppid);
      if (siblings) siblings.push(stat.pid);
      else table.children.set(stat.ppid, [stat.pid]);
    }
    return table;
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

  /** CPU seconds of the tree below pid, and its pids (for their RSS); undefined once it is gone. */
  treeCpu(pid: number): { cpuSeconds: number; pids: number[] } | undefined {
    const tree = this.tree(pid);
    if (tree.length === 0) return undefined;
    return { cpuSeconds: tree.reduce((n, p) => n + p.cpuTicks, 0) / CLOCK_TICKS_PER_SECOND, pids: tree.map((p) => p.pid) };
  }
}

/** The pids in a cgroup (cgroup.procs): the sandbox's whole tree, without walking the host's process table. */
export async function cgroupPids(cg: { dir: string }): Promise<number[] | undefined> {
  const text = await readOrNothing(path.join(cg.dir, 'cgroup.procs'));
  return text?.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
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
export async function instanceCgroup(pid: number, dyno: string, proc = '/proc', root = '/sys/fs/cgroup'): Promise<{ kind: 'v1' | 'v2'; dir: string } | undefined> {
  const text = await readOrNothing(path.join(proc, String(pid), 'cgroup'));
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
export async function cgroupUsage(cg: { kind: 'v1' | 'v2'; dir: string }): Promise<{ cpuSeconds?: number; memoryBytes: number } | undefined> {
  const read = (file: string) => readOrNothing(path.join(cg.dir, file));
  const [stat, currentText, cpuStat] = await Promise.all([
    read('memory.stat'), read(cg.kind === 'v2' ? 'memory.current' : 'memory.usage_in_bytes'), cg.kind === 'v2' ? read('cpu.stat') : undefined,
  ]);
  const current = Number(currentText);
  if (!Number.isFinite(current) || stat === undefined) return undefined;
  const inactive = statValue(stat, cg.kind === 'v2' ? 'inactive_file' : 'total_inactive_file') ?? 0;
  const usec = cg.kind === 'v2' ? statValue(cpuStat, 'usage_usec') : undefined;
  return { memoryBytes: Math.max(0, current - inactive), ...(usec !== undefined ? { cpuSeconds: usec / 1e6 } : {}) };
}
