// Unit tests for builders/run-step.ts's line splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './run-step.ts';

function split(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return lines;
}

test('splits on \\n, \\r\\n and \\r, and flushes the unterminated last line', () => {
  assert.deepEqual(split(['a\nb\r\nc\rd']), ['a', 'b', 'c', 'd']);
});

test('a \\r\\n split across chunks is one line ending', () => {
  assert.deepEqual(split(['one\r', '\ntwo\n']), ['one', 'two']);
});

test('lines are emitted as soon as they are complete, and partial lines are held', () => {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  splitter.push('hel');
  assert.deepEqual(lines, []);
  splitter.push('lo\nwor');
  assert.deepEqual(lines, ['hello']);
  splitter.flush();
  assert.deepEqual(lines, ['hello', 'wor']);
});

test('a UTF-8 character split across chunks stays whole', () => {
  const bytes = Buffer.from('héllo ✓\n');
  assert.deepEqual(split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)]), ['héllo ✓']);
});
