// core/webhook-config.ts — the outgoing webhooks' settings, read once at boot by core/config.ts: whether receivers on
// private addresses are allowed, the retry schedule, and each attempt's timeout.
import { positiveNumber } from './env-numbers.ts';

export interface WebhookConfig {
  /**
   * PAAS_WEBHOOKS_ALLOW_PRIVATE=true: hooks may target loopback, private, link-local and other non-public addresses.
   * Off by default: a tenant's URL must not reach the platform's own network (SSRF; docs/user/webhooks.md).
   */
  allowPrivate: boolean;
  /** PAAS_WEBHOOKS_BACKOFF: seconds to wait before each retry, comma-separated; its length + 1 is the attempt count. */
  backoffSeconds: readonly number[];
  /** PAAS_WEBHOOKS_TIMEOUT_MS: how long one attempt may take, connect to last byte read. */
  timeoutMs: number;
}

/** 10 s, 1 min, 5 min, 30 min, 2 h: six attempts over about two and a half hours. */
export const DEFAULT_BACKOFF_SECONDS = [10, 60, 300, 1800, 7200] as const;

function toBackoff(raw: string | undefined): readonly number[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_BACKOFF_SECONDS;
  const list = raw.split(',').map((s) => s.trim());
  if (list.length > 20) throw new Error(`PAAS_WEBHOOKS_BACKOFF takes at most 20 delays, got ${list.length}`);
  return Object.freeze(list.map((s) => positiveNumber('PAAS_WEBHOOKS_BACKOFF', s, 1)));
}

/** A true/false setting: true or 1, false, 0 or unset; anything else stops the boot. */
export function toBool(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new Error(`${name} must be true or false, got "${raw.slice(0, 40)}"`);
}

/** Reads PAAS_WEBHOOKS_* from the boot environment. */
export function loadWebhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  return Object.freeze({
    allowPrivate: toBool('PAAS_WEBHOOKS_ALLOW_PRIVATE', env.PAAS_WEBHOOKS_ALLOW_PRIVATE),
    backoffSeconds: toBackoff(env.PAAS_WEBHOOKS_BACKOFF),
    timeoutMs: positiveNumber('PAAS_WEBHOOKS_TIMEOUT_MS', env.PAAS_WEBHOOKS_TIMEOUT_MS, 10_000),
  });
}
