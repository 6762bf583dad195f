// core/metrics/token.ts — the metrics token's check, shared by web's /metrics and the health ports' /metrics: the
// security boundary of the platform's metrics (every app's name and traffic) against any local or network peer.
import crypto from 'node:crypto';
import { bearerOf } from '../bearer.ts';

/** True when `given` is `expected`; hashed first, so the comparison takes the same time whatever the lengths. */
export function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/**
 * Why a health port's /metrics refuses the request (with no token configured it is off), or undefined when the
 * request carries the metrics token.
 */
export function probeMetricsRefusal(header: string | undefined, token: string | undefined): string | undefined {
  if (token === undefined) return '/metrics is off on the health ports: set PAAS_METRICS_TOKEN and send it as Authorization: Bearer <token>';
  const given = bearerOf(header);
  if (given === undefined || !sameToken(given, token)) return 'Send the metrics token (PAAS_METRICS_TOKEN): Authorization: Bearer <token>';
  return undefined;
}
