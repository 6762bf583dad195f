// Unit tests for core/lines.ts: line splitting of a stream as it arrives (moved from builders/run-step.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { eachLine } from './lines.ts';

async function split(chunks: (string | Buffer)[]): Promise<string[]> {
  const input = new PassThrough();
  const lines: string[] = [];
  const done = eachLine(input, (line) => lines.push(line));
  for (const chunk of chunks) input.write(chunk);
  input.end();
  await done;
  return lines;
}

test('splits on \\n, \\r\\n and \\r, and delivers the unterminated last line at the end', async () => {
  assert.deepEqual(await split(['a\nb\r\nc\rd']), ['a', 'b', 'c', 'd']);
});

test('a \\r\\n split across chunks is one line ending', async () => {
  assert.deepEqual(await split(['one\r', '\ntwo\n']), ['one', 'two']);
});

test('lines are delivered as soon as they are complete, and partial lines are held', async () => {
  const input = new PassThrough();
  const lines: string[] = [];
  const done = eachLine(input, (line) => lines.push(line));
  input.write('hel');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(lines, []);
  const first = new Promise((resolve) => input.once('data', () => setImmediate(resolve)));
  input.write('lo\nwor');
  await first;
  assert.deepEqual(lines, ['hello']);
  input.end();
  await done;
  assert.deepEqual(lines, ['hello', 'wor']);
});

test('a UTF-8 character split across chunks stays whole', async () => {
  const bytes = Buffer.from('héllo ✓\n');
  assert.deepEqual(await split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)]), ['héllo ✓']);
});

test('an input that ends without output delivers no line', async () => {
  const input = new PassThrough();
  const lines: string[] = [];
  const done = eachLine(input, (line) => lines.push(line));
  input.end();
  await done;
  assert.deepEqual(lines, []);
});

test('with maxLineBytes, a line that never ends comes in pieces cut between UTF-8 characters', async () => {
  const lines: string[] = [];
  await eachLine(Readable.from([Buffer.from('é'.repeat(5)), Buffer.from('abcdefg\nhi')]), (l) => lines.push(l), { maxLineBytes: 3 });
  assert.deepEqual(lines, ['é', 'é', 'é', 'é', 'éa', 'bcd', 'efg', 'hi']);
});

test('with maxLineBytes, a character split across chunks at the cut stays whole', async () => {
  const lines: string[] = [];
  await eachLine(Readable.from([Buffer.from('aaa\xC3', 'latin1'), Buffer.from('\xA9b', 'latin1')]), (l) => lines.push(l), { maxLineBytes: 4 });
  assert.deepEqual(lines, ['aaa', 'éb']);
  const check: string[] = [];
  const bytes = Buffer.from('ab✓✓\n');
  await eachLine(Readable.from([bytes.subarray(0, 3), bytes.subarray(3, 4), bytes.subarray(4)]), (l) => check.push(l), { maxLineBytes: 4 });
  assert.deepEqual(check, ['ab', '✓', '✓']);
});
