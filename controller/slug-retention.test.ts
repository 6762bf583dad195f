// controller/slug-retention.test.ts — which slugs retention keeps: the newest N, plus the live and pending ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugsToKeep } from './slug-retention.ts';

test('the newest N are kept, and the live build and a pending deploy\'s build even when older', () => {
  const newestFirst = ['b5', 'b4', 'b3', 'b2', 'b1'].map((id) => ({ id }));
  assert.deepEqual([...slugsToKeep(newestFirst, 2, [])].sort(), ['b4', 'b5']);
  assert.deepEqual([...slugsToKeep(newestFirst, 2, ['b1', 'b3'])].sort(), ['b1', 'b3', 'b4', 'b5']);
});
