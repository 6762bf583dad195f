// core/logger.ts — one pino logger per process; modules take a child with their name.
import pino, { type Logger } from 'pino';

export type { Logger };

/** Creates the process logger (JSON lines on stderr, so stdout stays for what users read). */
export function createLogger(level = 'info', name = 'paas'): Logger {
  return pino({ name, level }, pino.destination(2));
}
