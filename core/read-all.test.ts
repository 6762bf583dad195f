// Unit tests for core/read-all.ts: whole inputs up to their limit, and a clear refusal past it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isPaasError } from './errors.ts';
import { readAll } from './read-all.ts';

test('reads every chunk to the end as UTF-8, a character split across chunks included', async () => {
  const input = new PassThrough();
  const text = readAll(input, 64, 'the key');
  const bytes = Buffer.from('ssh-ed25519 ✓\n');
  input.write(bytes.subarray(0, 13));
  input.end(bytes.subarray(13));
  assert.equal(await text, 'ssh-ed25519 ✓\n');
});

test('an input of exactly the limit is read; one byte more is refused with E_INPUT_TOO_LARGE', async () => {
  const exact = new PassThrough();
  const ok = readAll(exact, 4, 'the key');
  exact.end('abcd');
  assert.equal(await ok, 'abcd');
  const over = new PassThrough();
  const refused = readAll(over, 4, 'the key');
  over.write('abc');
  over.write('de');
  await assert.rejects(refused, (err) => isPaasError(err, 'E_INPUT_TOO_LARGE') && err.message === 'the key is larger than 4 bytes');
  assert.equal(over.destroyed, false, 'the stream stays open for the error message');
});

test('a stream error rejects with that error', async () => {
  const input = new PassThrough();
  const text = readAll(input, 64, 'the key');
  input.destroy(new Error('pipe broke'));
  await assert.rejects(text, /pipe broke/);
});
