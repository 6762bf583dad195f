// runtime/local/boot-gate.ts — when a new local web process counts as up: it answers HTTP on its port within the
// boot timeout, or it passes app.json's startup checks (their own attempts, waits and timeouts); used by instance.ts.
import { waitForHttp } from './net-probe.ts';
import { describeExit, type ExitInfo } from './process-policy.ts';
import { runStartupChecks } from '../startup-check.ts';
import type { StartupCheck } from '../types.ts';

export type BootOutcome = { ok: true } | { ok: false; reason: string };

/** One web process at its gate: where it listens, how it is checked, and what the instance knows of it. */
export interface WebGate {
  port: number;
  healthchecks?: StartupCheck[];
  bootTimeoutMs: number;
  /** Aborts once the process has exited. */
  signal: AbortSignal;
  exited: Promise<ExitInfo>;
  stopped(): boolean;
  /** Writes a line of the checks' progress to the app log. */
  say(line: string): void;
  /** Called (at once, before the outcome resolves) when the process passed its gate and was not stopped meanwhile. */
  up(how: string): void;
}

/** Waits until the web process passes its gate (startup checks when app.json has any, else any HTTP answer). */
export async function passWebGate(g: WebGate): Promise<BootOutcome> {
  if (g.healthchecks?.length) return passStartupChecks(g, g.healthchecks);
  const probe = await waitForHttp(g.port, g.bootTimeoutMs, g.signal);
  if (probe === 'up' && !g.stopped()) {
    g.up('');
    return { ok: true };
  }
  if (probe === 'timeout') return { ok: false, reason: `did not answer on its port within ${g.bootTimeoutMs / 1000}s` };
  return { ok: false, reason: describeExit(await g.exited) };
}

/** app.json's startup checks as the boot check (their own attempts, waits and timeouts, not bootTimeoutMs). */
async function passStartupChecks(g: WebGate, checks: StartupCheck[]): Promise<BootOutcome> {
  const outcome = await runStartupChecks(g.port, checks, g.signal, g.say);
  if (outcome.ok && !g.stopped()) {
    g.up(' (startup checks passed)');
    return outcome;
  }
  if (g.signal.aborted) return { ok: false, reason: describeExit(await g.exited) };
  return outcome.ok ? { ok: false, reason: 'was stopped while starting' } : outcome;
}
