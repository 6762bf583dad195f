// web/dashboard/ansi.test.ts — log lines become text segments: basic colours and bold as class names from a
// fixed list, every other escape or control sequence dropped, carriage-return redraws resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ansiSegments, appLogLineView, logLineView } from './ansi.ts';

test('SGR colours and bold become classes; reset ends them', () => {
  assert.deepEqual(ansiSegments('\u001b[31mred\u001b[0m plain \u001b[1;92mbold green\u001b[22m green\u001b[39m'), [
    { text: 'red', cls: 'ansi-red' }, { text: ' plain ', cls: undefined }, { text: 'bold green', cls: 'ansi-green ansi-bold' }, { text: ' green', cls: 'ansi-green' },
  ]);
});

test('other escapes, OSC titles and control characters are dropped, never shown raw', () => {
  const segs = ansiSegments('\u001b]0;title\u0007\u001b[2K\u001b[1Gdone\u0000\u0008 \u001b[?25h\u001b(B!');
  assert.deepEqual(segs.map((s) => s.text).join(''), 'done !');
  assert.ok(segs.every((s) => !/[\u0000-\u001f]/.test(s.text)));
});

test('a carriage return keeps what was drawn last, as a terminal shows it', () => {
  assert.deepEqual(ansiSegments('10%\r50%\r100% done').map((s) => s.text), ['100% done']);
  assert.deepEqual(ansiSegments('line\r').map((s) => s.text), ['line']);
});

test('markup stays text: the template escapes it', () => {
  assert.deepEqual(ansiSegments('<script>alert(1)</script>'), [{ text: '<script>alert(1)</script>', cls: undefined }]);
});

test('push steps and errors are marked; app log lines have their time and source set apart', () => {
  assert.equal(logLineView('-----> Building').kind, 'step');
  assert.equal(logLineView(' !     failed').kind, 'error');
  assert.equal(logLineView('       detail').kind, undefined);
  assert.deepEqual(appLogLineView('2026-01-01T00:00:00.000Z app[web.1]: hi').segs, [
    { text: '2026-01-01T00:00:00.000Z', cls: 'log-time' }, { text: ' ' }, { text: 'app[web.1]:', cls: 'log-src' }, { text: ' ' }, { text: 'hi', cls: undefined },
  ]);
});
