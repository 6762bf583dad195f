// gitd/refs.test.ts — unit tests for the push plan: git's ref lines, deploy branch choice, tags, deletions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRefLines, planPush } from './refs.ts';
import { isPaasError } from '../core/errors.ts';

const A = 'a'.repeat(40), B = 'b'.repeat(40), Z = '0'.repeat(40);

test('main deploys, other branches are stored', () => {
  const plan = planPush([{ oldRev: Z, newRev: A, ref: 'refs/heads/main' }, { oldRev: Z, newRev: B, ref: 'refs/heads/feature' }], false);
  assert.equal(plan.deploy?.ref, 'refs/heads/main');
  assert.deepEqual(plan.stored.map((u) => u.ref), ['refs/heads/feature']);
});

test('master deploys only when there is no main', () => {
  assert.equal(planPush([{ oldRev: Z, newRev: A, ref: 'refs/heads/master' }], false).deploy?.ref, 'refs/heads/master');
  assert.equal(planPush([{ oldRev: Z, newRev: A, ref: 'refs/heads/master' }], true).deploy, undefined);
});

test('a tag is refused, even beside a branch', () => {
  assert.throws(() => planPush([{ oldRev: Z, newRev: A, ref: 'refs/tags/v1' }], true), (e) => isPaasError(e, 'E_PUSH_REF_INVALID'));
  assert.throws(() => planPush([{ oldRev: Z, newRev: A, ref: 'refs/heads/main' }, { oldRev: Z, newRev: A, ref: 'refs/tags/v1' }], true),
    (e) => isPaasError(e, 'E_PUSH_REF_INVALID'));
});

test('deleting the deploy branch is refused; deleting another is fine', () => {
  assert.throws(() => planPush([{ oldRev: A, newRev: Z, ref: 'refs/heads/main' }], true), (e) => isPaasError(e, 'E_PUSH_DELETE_DEPLOY_BRANCH'));
  assert.equal(planPush([{ oldRev: A, newRev: Z, ref: 'refs/heads/old' }], true).stored.length, 1);
});

test('ref lines are parsed as git writes them, one update a line', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  assert.deepEqual(parseRefLines(`${a} ${b} refs/heads/main\n${b} ${a} refs/heads/x\n`), [
    { oldRev: a, newRev: b, ref: 'refs/heads/main' },
    { oldRev: b, newRev: a, ref: 'refs/heads/x' },
  ]);
  assert.deepEqual(parseRefLines(''), []);
});
