// services/webhook-formats.test.ts — each format's headers read, and signatures checked over the exact raw bytes:
// GitHub's example from its documentation, Gitea's bare hex, the generic sha256=; anything else is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { envelopeOf, signBody, verifySignature } from './webhook-formats.ts';

test("GitHub's documented example verifies (secret \"It's a Secret to Everybody\", body \"Hello, World!\")", async () => {
  const env = envelopeOf({ 'x-github-event': 'push', 'x-github-delivery': 'd', 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' });
  assert.equal(env.format, 'github');
  assert.equal(await verifySignature(env, "It's a Secret to Everybody", Buffer.from('Hello, World!')), true);
  assert.equal(await verifySignature(env, "It's a Secret to Everybody", Buffer.from('Hello, World?')), false);
  assert.equal(signBody("It's a Secret to Everybody", 'Hello, World!'), env.signature);
});

test('Gitea, Forgejo and generic envelopes; wrong, truncated, non-hex or missing signatures refused', async () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const hex = crypto.createHmac('sha256', 's').update(body).digest('hex');
  const gitea = envelopeOf({ 'x-gitea-event': 'push', 'x-gitea-delivery': 'g', 'x-gitea-signature': hex });
  assert.deepEqual(gitea, { format: 'gitea', event: 'push', deliveryId: 'g', signature: hex });
  assert.equal(await verifySignature(gitea, 's', body), true);
  assert.equal((envelopeOf({ 'x-forgejo-event': 'push', 'x-forgejo-delivery': 'f', 'x-forgejo-signature': hex })).format, 'gitea');
  const generic = envelopeOf({ 'x-paas-delivery': 'p', 'x-paas-signature-256': `sha256=${hex}` });
  assert.deepEqual(generic, { format: 'generic', event: 'push', deliveryId: 'p', signature: `sha256=${hex}` });
  assert.equal(await verifySignature(generic, 's', body), true);
  for (const signature of ['', hex.slice(0, 63), `${hex}00`, 'z'.repeat(64), `sha256=${hex}`]) {
    assert.equal(await verifySignature({ ...gitea, signature }, 's', body), false, `gitea ${signature}`);
  }
  for (const signature of ['', hex, `sha1=${hex.slice(0, 40)}`, `sha256=${hex.slice(1)}`, `sha256=${'0'.repeat(64)}`]) {
    assert.equal(await verifySignature({ ...generic, signature }, 's', body), false, `generic ${signature}`);
  }
  // A body that is not valid UTF-8 is refused even when its HMAC is right (the verifier hashes text).
  const binary = Buffer.from([0xff, 0xfe, 0x00]);
  assert.equal(await verifySignature({ ...generic, signature: signBody('s', binary) }, 's', binary), false);
});
