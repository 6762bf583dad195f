// core/tracing-diag.ts — OpenTelemetry's own complaints (an export that failed: the collector is away, refuses, times
// out) go to the platform's log at warn level, at most one line per kind a minute, so a dead collector is seen
// without flooding the log.
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Logger } from './logger.ts';

/** At most one line per message kind within this window. */
const windowMs = 60_000;

/**
 * A DiagLogger writing warnings and errors to `log`, rate-limited per message kind (the message text, whose first
 * 80 characters name it); the first line after a quiet spell says how many were left out.
 */
export function rateLimitedDiag(log: Logger, now: () => number = Date.now): DiagLogger {
  const last = new Map<string, { at: number; dropped: number }>();
  const write = (message: string, args: unknown[]) => {
    const kind = String(message).slice(0, 80);
    const seen = last.get(kind);
    const t = now();
    if (seen && t - seen.at < windowMs) { seen.dropped += 1; return; }
    last.set(kind, { at: t, dropped: 0 });
    const err = args.find((a) => a instanceof Error);
    log.warn({ module: 'opentelemetry', ...(err ? { err } : {}), ...(seen?.dropped ? { dropped: seen.dropped } : {}) }, `tracing: ${message}`);
  };
  const quiet = () => {};
  return { error: (m, ...a) => write(m, a), warn: (m, ...a) => write(m, a), info: quiet, debug: quiet, verbose: quiet };
}

/** Sends OpenTelemetry's diagnostics (warn and above) to the platform's log, rate-limited. */
export function bridgeDiag(log: Logger): void {
  diag.setLogger(rateLimitedDiag(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
