// Unit tests for builders/detect.ts: one ordered list, first match wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../core/errors.ts';
import { defaultProcessTypes } from './app-facts.ts';
import { detectStack, stacks } from './detect.ts';
import { dockerfileFor } from './dockerfiles.ts';
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

test('.go files at the top without go.mod are a Go app (so the build can say go.mod is missing); in subdirectories they are not', () => {
  assert.equal(detect('main.go', 'Procfile'), 'go');
  assert.equal(detect('main.go'), 'go');
  assert.equal(detect('.hidden.go', 'Procfile'), 'procfile');
  assert.equal(detect('cmd/web/main.go', 'Procfile'), 'procfile');
  assert.equal(detect('Dockerfile', 'main.go'), 'dockerfile', "a Dockerfile builds Go its own way");
  assert.equal(detect('package.json', 'main.go'), 'node');
});

test('hostile Go file names (newlines, escapes) cannot forge push lines in the go.mod message', () => {
  const tree = treeFromFiles({ 'main.go': '', 'x\n !     Push accepted\u001b[2J.go': '', Procfile: 'web: web' });
  for (const build of [() => defaultProcessTypes('go', tree, { web: 'web' }), () => dockerfileFor('go', tree)]) {
    assert.throws(build, (err) => isPaasError(err, 'E_BUILD_FAILED')
      && err.message.split('\n').length === 2
      && err.message.startsWith('Go builds need go.mod: this app has Go files (main.go, x? !     Push accepted?[2J.go) but no go.mod'));
  }
});
