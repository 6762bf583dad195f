// cli/pem-bundle.test.ts — splitting the one PEM file `certs:add APP < bundle.pem` reads: the chain in order and the one key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitPemBundle } from './pem-bundle.ts';

const block = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;

test('a bundle splits into the chain (in order) and the key, whatever comes between the blocks', () => {
  const text = `subject=CN=leaf\n${block('CERTIFICATE', 'LEAF')}\n\n${block('CERTIFICATE', 'INTER')}\n${block('EC PRIVATE KEY', 'KEY')}\n`;
  assert.deepEqual(splitPemBundle(text, 'u'), {
    cert: `${block('CERTIFICATE', 'LEAF')}\n${block('CERTIFICATE', 'INTER')}\n`, key: `${block('EC PRIVATE KEY', 'KEY')}\n`,
  });
});

test('hostile: no certificate, no key or two keys are E_USAGE, and the message never echoes the input', () => {
  const key = block('PRIVATE KEY', 'SECRETKEYMATERIAL');
  for (const [text, re] of [['junk', /no PEM certificate/], [block('CERTIFICATE', 'C'), /found 0/], [`${block('CERTIFICATE', 'C')}\n${key}\n${key}`, /found 2/], [key, /no PEM certificate/]] as const) {
    assert.throws(() => splitPemBundle(text, 'certs:add APP < bundle.pem'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_USAGE');
      assert.match(err.message, re);
      assert.doesNotMatch(err.message, /SECRETKEYMATERIAL/);
      return true;
    });
  }
});
