// core/webhook-signature.ts — how an outgoing webhook's body is signed: GitHub's scheme, so receivers can reuse its
// verifiers. `X-Paas-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` (docs/user/webhooks.md).
import crypto from 'node:crypto';

/** The X-Paas-Signature-256 header value for a raw body. */
export function signWebhookBody(secret: string, body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Compares a received signature header with the expected one in constant time. */
export function verifyWebhookBody(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signWebhookBody(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
