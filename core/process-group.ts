// core/process-group.ts — signals a whole process group (a spawned `detached` child and everything it started);
// used by the native build steps (builders/run-step.ts), the local supervisor's instances and the boot-time orphan sweep.

/** Sends sig to process group pgid; a group that is already gone (ESRCH) is fine, any other error is thrown. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
