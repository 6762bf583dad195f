// gitd/ssh-gate.test.ts — the connection counter behind the SSH gate's caps, and what the idle clock spares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionCounter } from './ssh-gate.ts';
import { isFollowCommand } from './ssh-idle.ts';

test('the counter caps each address and the total, and frees a slot on give', () => {
  const c = new ConnectionCounter(2, 3);
  assert.ok(c.take('a') && c.take('a'));
  assert.equal(c.take('a'), false, 'per address');
  assert.ok(c.take('b'));
  assert.equal(c.take('c'), false, 'in all');
  c.give('a');
  assert.ok(c.take('c'));
  assert.equal(c.size(), 3);
});

test('logs with -t or --tail, builds:output and run count as following; nothing else does', () => {
  assert.ok(isFollowCommand(['builds:output', 'shop']));
  assert.ok(isFollowCommand(['run', 'shop', 'sleep', '600']));
  assert.ok(isFollowCommand(['logs', 'shop', '-t']));
  assert.ok(isFollowCommand(['logs', 'shop', '--tail']));
  assert.ok(isFollowCommand(['logs', 'shop', '-tn', '5']));
  assert.equal(isFollowCommand(['logs', 'shop', '-n', '5']), false);
  assert.equal(isFollowCommand(['keys:add', '-t']), false);
});
