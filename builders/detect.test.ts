// Unit tests for builders/detect.ts: one ordered list, first match wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../core/errors.ts';
import { detectStack, stacks } from './detect.ts';
import { treeFromFiles } from './tree.ts';

function detect(...paths: string[]): string {
  return detectStack(treeFromFiles(Object.fromEntries(paths.map((p) => [p, ''])))).name;
}

test('the list is in the documented order', () => {
  assert.deepEqual(
    stacks.map((r) => r.name),
    ['dockerfile', 'node', 'python', 'go', 'static', 'procfile'],
  );
});

test('detects each stack by its marker', () => {
  assert.equal(detect('Dockerfile'), 'dockerfile');
  assert.equal(detect('package.json'), 'node');
  assert.equal(detect('requirements.txt'), 'python');
  assert.equal(detect('pyproject.toml'), 'python');
  assert.equal(detect('go.mod', 'main.go'), 'go');
  assert.equal(detect('index.html'), 'static');
  assert.equal(detect('Procfile', 'run.sh'), 'procfile');
});

test('the first match wins', () => {
  assert.equal(detect('package.json', 'index.html'), 'node');
  assert.equal(detect('index.html', 'Procfile'), 'static');
  assert.equal(detect('requirements.txt', 'go.mod'), 'python');
  assert.equal(detect('Procfile', 'index.html', 'go.mod', 'requirements.txt', 'package.json', 'Dockerfile'), 'dockerfile');
});

test('markers are matched at the top of the tree only', () => {
  assert.throws(() => detect('web/package.json', 'docs/index.html'), (err) => isPaasError(err, 'E_RUNTIME_UNKNOWN'));
});

test('labels and markers read well in push output', () => {
  const node = detectStack(treeFromFiles({ 'package.json': '{}' }));
  assert.equal(node.label, 'Node.js');
  assert.equal(node.marker, 'package.json');
});

test('an unknown tree is refused with everything that was looked for', () => {
  assert.throws(
    () => detect('README.txt'),
    (err) =>
      isPaasError(err, 'E_RUNTIME_UNKNOWN') &&
      err.message ===
        'No supported app detected. Looked for: Dockerfile, package.json, requirements.txt, pyproject.toml, go.mod, index.html, Procfile',
  );
});
