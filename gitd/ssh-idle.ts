// gitd/ssh-idle.ts — the idle timeout of a signed-in SSH connection. Traffic either way restarts the clock; while
// something legitimately long and quiet runs (a push's build, `logs -t`) the connection is busy and never idle.
// Dead clients in those are found by the SSH keepalives instead (ssh2's keepaliveInterval, docs/limits.md).

export class IdleWatch {
  private timer: NodeJS.Timeout;
  private busyCount = 0;
  constructor(private idleMs: number, private onIdle: () => void) {
    this.timer = setTimeout(() => this.fire(), idleMs);
  }
  /** Traffic: the clock starts again. */
  touch(): void { this.timer.refresh(); }
  /** Something long-running begins; returns the function that ends it. */
  busy(): () => void {
    this.busyCount++;
    let ended = false;
    return () => { if (!ended) { ended = true; this.busyCount--; this.touch(); } };
  }
  stop(): void { clearTimeout(this.timer); }
  private fire(): void {
    if (this.busyCount > 0) { this.timer.refresh(); return; }
    this.onIdle();
  }
}

/**
 * Commands that follow output and are never idle-cut: `logs APP -t` (or --tail), for as long as the user wants,
 * `builds:output`, which follows a running build until it ends, and `run`, a one-off that may be quiet for long
 * (a migration) and has its own deadline (PAAS_RUN_TIMEOUT_SECONDS).
 */
export function isFollowCommand(argv: string[]): boolean {
  if (argv[0] === 'builds:output' || argv[0] === 'run') return true;
  return argv[0] === 'logs' && argv.slice(1).some((a) => a === '--tail' || /^-[a-z]*t[a-z]*$/.test(a));
}
