// runtime/app-queue.ts — one queue of operations per app, so a deploy, scale, restart or stop of an app never
// interleaves with another of the same app; used by the local supervisor and the Docker runtime's process table.

/** Runs each app's operations one after another (other apps' run beside them). */
export class AppQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn after every earlier operation on the same app; its result (or error) is the caller's. */
  run(app: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.tails.get(app) ?? Promise.resolve()).then(fn);
    // The queue only needs to know when run is over; its error reaches the caller through `run`.
    const tail = run.catch(() => undefined);
    this.tails.set(app, tail);
    void tail.then(() => {
      if (this.tails.get(app) === tail) this.tails.delete(app);
    });
    return run;
  }
}
