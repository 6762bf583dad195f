// scripts/render-chart.test.ts — the chart renderer's namespacing: every kind the chart renders has a known scope
// (read from every template), and a kind of unknown scope is refused loudly, not guessed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isNamespaced } from './render-chart.ts';

const templates = new URL('../charts/paas/templates/', import.meta.url);

test('render-chart knows the scope of every kind the chart renders, and refuses one it does not know', () => {
  // Every kind any template can render (whatever the values turn on), read from the templates themselves.
  const kinds = new Set<string>();
  for (const file of fs.readdirSync(templates).filter((f) => f.endsWith('.yaml'))) {
    for (const m of fs.readFileSync(path.join(templates.pathname, file), 'utf8').matchAll(/^kind: ([A-Za-z]+)$/gm)) kinds.add(m[1]!);
  }
  assert.ok(kinds.has('Deployment') && kinds.has('ClusterRole'), [...kinds].join(', '));
  for (const kind of kinds) assert.doesNotThrow(() => isNamespaced(kind), kind);
  assert.equal(isNamespaced('ClusterRoleBinding'), false);
  assert.equal(isNamespaced('Secret'), true);
  assert.throws(() => isNamespaced('PriorityClass'), /the chart renders a PriorityClass, whose scope \(namespaced or cluster-wide\) scripts\/render-chart\.ts does not know/);
});
