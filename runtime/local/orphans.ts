// runtime/local/orphans.ts — finds the processes running inside a directory (Linux /proc) and ends their
// process groups. The controller uses it at boot: app and build processes left behind by a platform that was
// killed (SIGKILL, a crash) would otherwise hold their ports and run twice next to the restored release.
import fs from 'node:fs';
import path from 'node:path';
import { signalGroup } from '../../core/process-group.ts';
import { statFields } from './proc-usage.ts';

export interface ProcessInfo { pid: number; pgid: number; cwd: string }

/** Processes whose working directory is inside dir; empty where there is no /proc. */
export function processesUnder(dir: string): ProcessInfo[] {
  const prefix = path.resolve(dir) + path.sep;
  if (!fs.existsSync('/proc/self/cwd')) return [];
  const found: ProcessInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if (!cwd.startsWith(prefix)) continue;
      const fields = statFields(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      found.push({ pid: Number(name), pgid: Number(fields[2]), cwd });
    } catch {
      // The process ended while we looked, or is not ours to read: nothing to end.
    }
  }
  return found;
}

/** SIGKILLs the process groups of the given processes; groups already gone are fine. Returns how many groups. */
export function killGroups(processes: ProcessInfo[]): number {
  const groups = new Set(processes.map((p) => p.pgid).filter((g) => g > 1 && g !== process.pid));
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  return groups.size;
}
