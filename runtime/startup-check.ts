// runtime/startup-check.ts — app.json's startup checks (Dokku's `healthchecks.web`): the deploy gate of a new web
// process, instead of "answers HTTP at all"; used by the local runtime's instances (runtime/local/instance.ts) and
// the Docker runtime (runtime/docker/processes.ts, through waitUntilReady).
import http from 'node:http';
import { waitForHttp } from './local/net-probe.ts';
import type { StartupCheck } from './types.ts';

export type ReadyOutcome = { ok: true } | { ok: false; reason: string };

/** How much of a body is read to look for `content`; a check page is small, a hostile one may not end. */
const maxBodyBytes = 1024 * 1024;

type TryResult = { ok: true } | { ok: false; why: string };

/** One GET of the check's path: 2xx/3xx (and the content, when given) within the check's timeout. */
function tryOnce(port: number, check: StartupCheck, signal: AbortSignal): Promise<TryResult> {
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(check.timeoutSeconds * 1000)]);
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: check.path, agent: false, signal: timeout, headers: { host: `127.0.0.1:${port}` } });
    req.once('error', (err) => resolve({ ok: false, why: timeout.aborted && !signal.aborted ? `no answer within ${check.timeoutSeconds}s` : (err as NodeJS.ErrnoException).code ?? err.message }));
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 400) {
        res.resume();
        resolve({ ok: false, why: `HTTP ${status}` });
        return req.destroy();
      }
      if (check.content === undefined) {
        res.resume();
        resolve({ ok: true });
        return req.destroy();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const judge = (): void => {
        const found = Buffer.concat(chunks).toString('utf8').includes(check.content as string);
        resolve(found ? { ok: true } : { ok: false, why: `HTTP ${status} without the expected content ${JSON.stringify(check.content?.slice(0, 60))}` });
        req.destroy();
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= maxBodyBytes) judge();
      });
      res.once('end', judge);
    });
  });
}

/** Resolves after seconds, or earlier when the signal aborts. */
function pause(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || seconds <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, seconds * 1000);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs one check: its initial delay, then up to `attempts` tries `wait` seconds apart. */
async function runCheck(port: number, check: StartupCheck, signal: AbortSignal, say: (line: string) => void): Promise<{ ok: true } | { ok: false; reason: string }> {
  await pause(check.initialDelaySeconds, signal);
  let why = 'not tried';
  for (let attempt = 1; attempt <= check.attempts && !signal.aborted; attempt++) {
    const result = await tryOnce(port, check, signal);
    if (result.ok) return result;
    why = result.why;
    if (signal.aborted) break;
    say(`startup check "${check.name}" (GET ${check.path}) attempt ${attempt}/${check.attempts}: ${why}`);
    if (attempt < check.attempts) await pause(check.waitSeconds, signal);
  }
  if (signal.aborted) return { ok: false, reason: 'aborted' };
  return { ok: false, reason: `startup check "${check.name}" (GET ${check.path}) failed after ${check.attempts} attempts: ${why}` };
}

/**
 * Runs the startup checks in order against http://127.0.0.1:port; the first that fails ends it. `signal` aborts
 * (the process exited, or the deploy was stopped): the result is then { ok: false, reason: 'aborted' }.
 */
export async function runStartupChecks(port: number, checks: StartupCheck[], signal: AbortSignal, say: (line: string) => void = () => undefined): Promise<{ ok: true } | { ok: false; reason: string }> {
  for (const check of checks) {
    const result = await runCheck(port, check, signal, say);
    if (!result.ok) return result;
  }
  return { ok: true };
}

/**
 * Waits until the process on 127.0.0.1:port is ready: its startup checks pass (their attempts are their own budget),
 * or, without checks, anything answers HTTP within bootTimeoutMs. `signal` aborts when the process exits.
 */
export async function waitUntilReady(port: number, checks: StartupCheck[] | undefined, bootTimeoutMs: number, signal: AbortSignal): Promise<ReadyOutcome> {
  if (checks && checks.length > 0) return runStartupChecks(port, checks, signal);
  const probe = await waitForHttp(port, bootTimeoutMs, signal);
  if (probe === 'up') return { ok: true };
  return { ok: false, reason: probe === 'timeout' ? `did not answer on its port within ${bootTimeoutMs / 1000}s` : 'aborted' };
}
