// test/support/processes.ts — finds the app processes a platform runs (by their working directory under its data
// dir, read from /proc), so a test can tell whether they outlive it and end exactly those afterwards.
import fs from 'node:fs';

export { processesUnder, killGroups, type ProcessInfo } from '../../runtime/local/orphans.ts';

/** True while the process runs; a zombie (dead, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
