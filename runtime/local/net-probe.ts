// runtime/local/net-probe.ts — the HTTP boot check; used by the local runtime's process instances.
import http from 'node:http';

export type ProbeResult = 'up' | 'aborted' | 'timeout';

/** One GET / on 127.0.0.1:port; true when any HTTP response arrives (status does not matter). */
function answersHttp(port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000, signal });
    req.once('response', (res) => {
      res.resume();
      resolve(true);
      req.destroy();
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

/**
 * Polls http://127.0.0.1:port/ about every 200 ms until something answers,
 * `signal` aborts (the process exited), or timeoutMs passes.
 */
export async function waitForHttp(port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  const local = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  while (!signal.aborted && Date.now() < deadline) {
    if (await answersHttp(port, local)) return 'up';
    await pause(200, local);
  }
  return signal.aborted ? 'aborted' : 'timeout';
}

/** Resolves after ms, or earlier when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
