// test/support/wait.ts — waiting in tests without blind sleeps: poll a condition every 100 ms up to a deadline.

/**
 * Polls fn every 100 ms until it returns a truthy value (which it returns) or the deadline passes; then throws,
 * naming what was awaited and the last value or error seen. Errors thrown by fn count as "not yet".
 */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last seen: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
