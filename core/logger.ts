// core/logger.ts — one pino logger per process; modules take a child with their name. A line logged inside a
// traced operation carries its `trace_id` (core/tracing.ts), so an operator can find a push's lines by its trace.
import { trace, isSpanContextValid } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger };

/** `trace_id` (and `span_id`) of the active span, or nothing outside one. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** Creates the process logger (JSON lines on stderr, so stdout stays for what users read; a test may pass its own). */
export function createLogger(level = 'info', name = 'paas', dest: pino.DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, mixin: traceFields }, dest);
}
