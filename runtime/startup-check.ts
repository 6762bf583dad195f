// runtime/startup-check.ts — the deploy gate of a new web process: "answers HTTP at all" within the boot timeout, or
// app.json's `healthchecks.web` startup checks (Dokku's format) when the release has them. Used by the Docker runtime;
// the local supervisor can share it (it does the plain check through runtime/local/net-probe.ts today).
import http from 'node:http';
import { waitForHttp } from './local/net-probe.ts';
import type { StartupCheck } from './types.ts';

export type ReadyOutcome = { ok: true } | { ok: false; reason: string };

/** How one GET went: the status and body, or why there was none. */
interface Answer { status?: number; body?: string; error?: string }

/** GET path on 127.0.0.1:port with a deadline; reads at most 64 KiB of the body (enough to find `content`). */
function get(port: number, path: string, timeoutMs: number, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs, signal });
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 65_536) body += chunk; });
      res.once('end', () => resolve({ status: res.statusCode, body }));
      res.once('error', (err) => resolve({ error: err.message }));
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.once('error', (err) => resolve({ error: err.message }));
  });
}

/** Why an answer fails the check, or undefined when it passes (2xx/3xx, holding `content` when given). */
export function checkFailure(check: StartupCheck, answer: Answer): string | undefined {
  if (answer.error !== undefined) return answer.error;
  const status = answer.status ?? 0;
  if (status < 200 || status >= 400) return `status ${status}`;
  if (check.content !== undefined && !(answer.body ?? '').includes(check.content)) return `the body does not contain "${check.content}"`;
  return undefined;
}

/** Resolves after ms, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs one check: its initial delay, then up to `attempts` tries `waitSeconds` apart. */
async function runCheck(port: number, check: StartupCheck, signal: AbortSignal): Promise<ReadyOutcome> {
  await pause(check.initialDelaySeconds * 1000, signal);
  let last = 'not tried';
  for (let attempt = 1; attempt <= Math.max(1, check.attempts) && !signal.aborted; attempt++) {
    if (attempt > 1) await pause(check.waitSeconds * 1000, signal);
    if (signal.aborted) break;
    const failure = checkFailure(check, await get(port, check.path, check.timeoutSeconds * 1000, signal));
    if (failure === undefined) return { ok: true };
    last = failure;
  }
  if (signal.aborted) return { ok: false, reason: 'aborted' };
  return { ok: false, reason: `failed its startup check "${check.name}" (GET ${check.path}: ${last}) after ${check.attempts} attempts` };
}

/**
 * Waits until the process on 127.0.0.1:port is ready: every startup check passes in turn (their attempts are their
 * own budget), or, without checks, anything answers HTTP within bootTimeoutMs. `signal` aborts when the process exits.
 */
export async function waitUntilReady(port: number, checks: StartupCheck[] | undefined, bootTimeoutMs: number, signal: AbortSignal): Promise<ReadyOutcome> {
  if (!checks || checks.length === 0) {
    const probe = await waitForHttp(port, bootTimeoutMs, signal);
    if (probe === 'up') return { ok: true };
    return { ok: false, reason: probe === 'timeout' ? `did not answer on its port within ${bootTimeoutMs / 1000}s` : 'aborted' };
  }
  for (const check of checks) {
    const outcome = await runCheck(port, check, signal);
    if (!outcome.ok) return outcome;
  }
  return { ok: true };
}
