// Unit tests for builders/procfile.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../core/errors.ts';
import { parseProcfile } from './procfile.ts';

function assertInvalid(text: string, message: RegExp): void {
  assert.throws(() => parseProcfile(text), (err) => isPaasError(err, 'E_PROCFILE_INVALID') && message.test(err.message));
}

test('refuses a Procfile with more than 32 process types, naming the first one too many', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `t${i}: run ${i}`).join('\n');
  assert.equal(Object.keys(parseProcfile(lines(32))).length, 32);
  assertInvalid(lines(33), /^Procfile line 33: a Procfile declares at most 32 process types; "t32" is one too many$/);
  assertInvalid(`# comment\n${lines(40)}`, /^Procfile line 34: .* "t32" is one too many$/);
});

test('parses types and commands, keeping colons and spacing inside commands', () => {
  const text = 'web: node server.js --port $PORT\nworker:python worker.py\nrelease: ./migrate --url=http://x:1\n';
  assert.deepEqual(parseProcfile(text), {
    web: 'node server.js --port $PORT',
    worker: 'python worker.py',
    release: './migrate --url=http://x:1',
  });
});

test('ignores blank lines, comments, CRLF line endings and a BOM', () => {
  const text = '\uFEFF# processes\r\n\r\n  web: npm start  \r\n   # indented comment\r\nclock-2_x: node clock.js';
  assert.deepEqual(parseProcfile(text), { web: 'npm start', 'clock-2_x': 'node clock.js' });
});

test('an empty Procfile declares no types', () => {
  assert.deepEqual(parseProcfile(''), {});
  assert.deepEqual(parseProcfile('# nothing yet\n'), {});
});

test('refuses a line without a colon, naming its line number', () => {
  assertInvalid('web: node a.js\n\nworker node b.js\n', /^Procfile line 3: expected "type: command"/);
});

test('refuses invalid process types', () => {
  assertInvalid('Web: node a.js', /line 1: "Web" is not a valid process type/);
  assertInvalid('web: a\n_worker: b', /line 2: "_worker" is not a valid process type/);
  assertInvalid('my worker: b', /"my worker" is not a valid process type/);
  assertInvalid(': node a.js', /"" is not a valid process type/);
});

test('refuses a duplicate type', () => {
  assertInvalid('web: a\nworker: b\nweb: c\n', /^Procfile line 3: process type "web" is declared twice$/);
});

test('refuses an empty command', () => {
  assertInvalid('web:   \n', /^Procfile line 1: process type "web" has an empty command$/);
});
