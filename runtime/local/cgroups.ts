// runtime/local/cgroups.ts — per-process memory and pids limits in cgroups (v1 hybrid or v2 unified), below the
// platform's own cgroup; jail.ts puts every sandboxed process in one. Where none can be made, jail.ts uses rlimits.
import fs from 'node:fs';
import path from 'node:path';
import type { Limits } from './sandbox.ts';

/** Where the platform may make cgroups: v1 memory and pids hierarchies, or one v2 dir with both controllers. */
export type CgroupSupport =
  | { kind: 'v1'; memory: string; pids: string }
  | { kind: 'v2'; dir: string }
  | { kind: 'none'; reason: string };

/** One process's cgroup(s): the cgroup.procs files it joins, whether it ran out of memory, and its removal. */
export interface ProcessCgroup { procs: string[]; oomKilled(): boolean; remove(): void }

/** The platform's own cgroup paths, per controller ('' is v2), from /proc/self/cgroup. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) for (const c of (m[1] ?? '').split(',')) out.set(c, m[2] ?? '/');
  }
  return out;
}

/** Makes dir (if missing) and checks this process may make cgroups in it; the problem in words, if any. */
function tryMkdir(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Finds where this process may make limited cgroups; `none` with the reason when it may not (not root, read-only, no controllers). */
export function detectCgroups(root = '/sys/fs/cgroup', self = '/proc/self/cgroup'): CgroupSupport {
  let mine: Map<string, string>;
  try { mine = parseProcCgroup(fs.readFileSync(self, 'utf8')); } catch { return { kind: 'none', reason: 'no /proc/self/cgroup' }; }
  if (mine.has('memory') && mine.has('pids')) {
    const memory = path.join(root, 'memory', mine.get('memory') as string, 'paas');
    const pids = path.join(root, 'pids', mine.get('pids') as string, 'paas');
    const problem = tryMkdir(memory) ?? tryMkdir(pids);
    return problem ? { kind: 'none', reason: `cgroup v1: ${problem}` } : { kind: 'v1', memory, pids };
  }
  if (mine.has('')) {
    // v2 forbids processes in a cgroup that hands controllers down, so the apps' subtree sits beside ours, not below it.
    const parent = path.join(root, path.dirname(mine.get('') as string));
    const dir = path.join(parent, 'paas-apps');
    try {
      fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+memory +pids');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+memory +pids');
      return { kind: 'v2', dir };
    } catch (err) {
      return { kind: 'none', reason: `cgroup v2: ${(err as Error).message}` };
    }
  }
  return { kind: 'none', reason: 'no memory and pids cgroup controllers' };
}

function write(file: string, value: string, optional = false): void {
  try { fs.writeFileSync(file, value); } catch (err) { if (!optional) throw err; }
}

function readCounter(file: string, key: string): number {
  try {
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key} `));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch {
    return 0;
  }
}

/** Removes an emptied cgroup dir; the kernel may still be tearing the last process down, so EBUSY is tried again later. */
function removeDir(dir: string, tries = 20): void {
  try { fs.rmdirSync(dir); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EBUSY' && tries > 0) setTimeout(() => removeDir(dir, tries - 1), 100).unref();
  }
}

/** Makes the cgroup(s) of one process with its limits; the process joins them itself, as the platform's user, before bwrap. */
export function createCgroup(support: CgroupSupport, name: string, limits: Limits): ProcessCgroup | undefined {
  if (support.kind === 'none') return undefined;
  const bytes = String(limits.memoryMb * 1024 * 1024);
  const memory = path.join(support.kind === 'v1' ? support.memory : support.dir, name);
  const pids = support.kind === 'v1' ? path.join(support.pids, name) : memory;
  const dirs = [...new Set([memory, pids])];
  for (const dir of dirs) fs.mkdirSync(dir, { recursive: true });
  if (support.kind === 'v1') {
    write(path.join(memory, 'memory.limit_in_bytes'), bytes);
    write(path.join(memory, 'memory.memsw.limit_in_bytes'), bytes, true); // no swapping past the limit, where swap is accounted
  } else {
    write(path.join(memory, 'memory.max'), bytes);
    write(path.join(memory, 'memory.swap.max'), '0', true);
  }
  write(path.join(pids, 'pids.max'), String(limits.pids));
  const procs = dirs.map((dir) => path.join(dir, 'cgroup.procs'));
  const events = path.join(memory, support.kind === 'v1' ? 'memory.oom_control' : 'memory.events');
  return {
    procs,
    oomKilled: () => readCounter(events, 'oom_kill') > 0,
    remove: () => dirs.forEach((dir) => removeDir(dir)),
  };
}

/** Says in words which limits apply, for the start-up log. */
export function describeLimits(support: CgroupSupport, limits: Limits): string {
  const what = `memory ${limits.memoryMb} MB, ${limits.pids} processes, ${limits.nofile} open files per process`;
  if (support.kind === 'none') return `${what}; rlimits (no cgroups here: ${support.reason}), so memory is an address-space limit of ${limits.memoryMb * 4} MB`;
  return `${what}; cgroup ${support.kind} for memory and processes, rlimits for open files`;
}
