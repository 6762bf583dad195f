// controller/deployer.test.ts — the last line of a successful push: the URL only when a web process runs, else what
// runs instead (a worker-only app has no URL), or that nothing does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toLiveLine } from './deployer.ts';

const url = 'http://demo.localhost:8080/';
const p = (type: string, quantity: number) => ({ type, command: 'x', quantity });

test('"is live at" only when the release runs a web process; otherwise the line says what runs instead', () => {
  assert.equal(toLiveLine(3, [p('web', 1), p('worker', 0)], url), `-----> v3 is live at ${url}`);
  assert.equal(toLiveLine(1, [p('worker', 1), p('clock', 0)], undefined), '-----> v1 is up: worker x1 (no web process, so no URL)');
  assert.equal(toLiveLine(2, [p('web', 0), p('worker', 2), p('clock', 1)], url), '-----> v2 is up: worker x2, clock x1 (no web process, so no URL)');
  assert.equal(toLiveLine(4, [p('worker', 0)], undefined), '-----> v4 is up, but no process runs (scale one up with ps:scale)');
});
