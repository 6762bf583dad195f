// runtime/docker/build-output.test.ts — the build answer reader on synthetic Engine streams: lines relayed as they
// complete, a line without end and a build without end bounded, terminal escapes stripped, step images collected.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { outputCaps, readBuildAnswer, stripEscapes } from './build-output.ts';

/** An Engine build answer: one JSON line per event, cut into chunks of the given size (pieces of JSON lines too). */
function answerOf(events: object[], chunkBytes = 1000): Readable {
  const text = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < text.length; at += chunkBytes) chunks.push(text.subarray(at, at + chunkBytes));
  return Readable.from(chunks);
}

test('build output: lines split across events and chunks come whole; the step, the error and the image are read', async () => {
  const lines: string[] = [];
  const answer = await readBuildAnswer(answerOf([
    { stream: 'Step 1/2 : FROM base\n' }, { stream: ' ---> 0123456789ab\n' },
    { stream: 'Step 2/2 : RUN make\n' }, { stream: ' ---> Running in feedfacecafe\n' }, { stream: 'hal' }, { stream: 'f a line\nnext é\n' },
    { error: 'boom', errorDetail: { message: 'The command returned a non-zero code: 2' } },
  ], 7), (l) => lines.push(l));
  assert.deepEqual(lines, ['Step 1/2 : FROM base', ' ---> 0123456789ab', 'Step 2/2 : RUN make', ' ---> Running in feedfacecafe', 'half a line', 'next é']);
  assert.deepEqual(answer, { step: 'RUN make', error: 'The command returned a non-zero code: 2', stepImages: [] });
});

test('build output: hostile step output: a 20 MiB line is capped fast, the build\'s output is bounded, escapes are stripped', async () => {
  const lines: string[] = [];
  const huge = 'x'.repeat(20 * 1024 * 1024);
  const events = [{ stream: '\u001b[91mred stderr\u001b[0m\r\n' }, { stream: 'fake \u001b]0;title\u0007title \u001b[2J\u0008clear\n' }];
  // The Engine relays a step's output in pieces: 20 MiB without a newline, as 32 KiB events.
  for (let at = 0; at < huge.length; at += 32 * 1024) events.push({ stream: huge.slice(at, at + 32 * 1024) });
  events.push({ stream: '\nafter\n' });
  const started = Date.now();
  await readBuildAnswer(answerOf(events, 64 * 1024), (l) => lines.push(l));
  assert.ok(Date.now() - started < 5000, `read in ${Date.now() - started} ms`);
  assert.deepEqual(lines.slice(0, 2), ['red stderr', 'fake title clear']);
  assert.equal(lines[2], `${'x'.repeat(outputCaps.lineBytes)}…`);
  assert.ok(lines.every((l) => l.length <= outputCaps.lineBytes + 1));
  const relayed = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  assert.ok(relayed <= outputCaps.totalBytes + 200, `relayed ${relayed} bytes`);
  assert.equal(lines.filter((l) => l.startsWith('(output truncated: ')).length, 1);
  assert.match(lines.at(-1)!, /^\(output truncated: more than 20000 lines or 8 MiB; the build goes on\)$/);
  assert.equal(stripEscapes('a\u001b[1;31mb\u001bc\u007fd\te'), 'abcd\te');
});

test('build output: more than 20,000 lines are cut with one notice, and steps and images are still read after it', async () => {
  const lines: string[] = [];
  const answer = await readBuildAnswer(answerOf([
    { stream: 'Step 1/3 : FROM base\n' }, { stream: ' ---> aaaaaaaaaaaa\n' },
    { stream: 'Step 2/3 : RUN seq\n' }, { stream: 'line\n'.repeat(30_000) }, { stream: ' ---> bbbbbbbbbbbb\n' },
    { stream: 'Step 3/3 : RUN cached\n' }, { stream: ' ---> Using cache\n' }, { stream: ' ---> cccccccccccc\n' },
    { aux: { ID: 'sha256:cccc' } },
  ]), (l) => lines.push(l));
  assert.equal(lines.length, outputCaps.totalLines + 1);
  assert.match(lines.at(-1)!, /^\(output truncated: /);
  assert.deepEqual(answer, { step: 'RUN cached', stepImages: ['bbbbbbbbbbbb'], imageId: 'sha256:cccc' });
});
