// services/webhook-formats.ts — reads a Git host's webhook headers (GitHub, Gitea/Forgejo, or the platform's generic
// format) and checks its signature over the raw body, before anything parses it. Used by services/webhook-receive.ts.
import crypto from 'node:crypto';
import { verify as verifyGitHub } from '@octokit/webhooks-methods';

export type WebhookFormat = 'github' | 'gitea' | 'generic';
export type Headers = Record<string, string | string[] | undefined>;

/** What the headers say: the format, the event (push, ping…), the delivery id and the signature as sent. */
export interface WebhookEnvelope { format: WebhookFormat; event: string; deliveryId: string; signature: string }

const one = (h: Headers, name: string): string => {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** The webhook's envelope from its headers; the generic format is the fallback, and its event is always push. */
export function envelopeOf(h: Headers): WebhookEnvelope {
  if (one(h, 'x-github-event')) {
    return { format: 'github', event: one(h, 'x-github-event'), deliveryId: one(h, 'x-github-delivery'), signature: one(h, 'x-hub-signature-256') };
  }
  const giteaEvent = one(h, 'x-gitea-event') || one(h, 'x-forgejo-event');
  if (giteaEvent) {
    return {
      format: 'gitea', event: giteaEvent, deliveryId: one(h, 'x-gitea-delivery') || one(h, 'x-forgejo-delivery'),
      signature: one(h, 'x-gitea-signature') || one(h, 'x-forgejo-signature'),
    };
  }
  return { format: 'generic', event: one(h, 'x-paas-event') || 'push', deliveryId: one(h, 'x-paas-delivery'), signature: one(h, 'x-paas-signature-256') };
}

/** Hex HMAC-SHA256 compared in constant time (Gitea's bare-hex signature). */
function verifyHex(secret: string, body: Buffer, given: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = crypto.createHmac('sha256', secret).update(body).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

/**
 * True when the signature is the HMAC-SHA256 of the raw body under the secret. GitHub's and the generic format's
 * `sha256=<hex>` go through @octokit/webhooks-methods (constant-time); Gitea's bare hex through verifyHex.
 */
export async function verifySignature(env: WebhookEnvelope, secret: string, body: Buffer): Promise<boolean> {
  if (!env.signature) return false;
  if (env.format === 'gitea') return verifyHex(secret, body, env.signature);
  if (!/^sha256=[0-9a-f]{64}$/i.test(env.signature)) return false;
  // verify() hashes the string's UTF-8: a body that is not valid UTF-8 would change, so it is refused outright.
  const text = body.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(body)) return false;
  return verifyGitHub(secret, text, env.signature);
}

/** Signs a body as GitHub does (`sha256=` + hex HMAC-SHA256); for the generic format's senders and tests. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}
