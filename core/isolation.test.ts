// core/isolation.test.ts — PAAS_ISOLATION: auto falls back to single-tenant with the reason, sandbox insists, none is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROBE_UID, describeIsolation, probeSandbox, resolveIsolation } from './isolation.ts';
import { loadConfig } from './config.ts';

test('auto takes the sandbox when it works and says why when it does not; sandbox insists; none is single-tenant', () => {
  assert.equal(resolveIsolation('auto', 'local', () => undefined).mode, 'sandbox');
  const fallback = resolveIsolation('auto', 'local', () => 'bwrap is not installed');
  assert.equal(fallback.mode, 'none');
  assert.match(fallback.reason, /bwrap is not installed.*bubblewrap/);
  assert.throws(() => resolveIsolation('sandbox', 'local', () => 'bwrap is not installed'), /PAAS_ISOLATION=sandbox.*bubblewrap/);
  assert.equal(resolveIsolation('none', 'local', () => undefined).mode, 'none');
  assert.equal(resolveIsolation('auto', 'kubernetes', () => 'never asked').mode, 'sandbox');
});

test('a missing bwrap is reported as not installed; a bad setting is refused', () => {
  assert.match(probeSandbox('/nonexistent/bwrap') ?? '', /not installed/);
  assert.throws(() => loadConfig({ PAAS_ISOLATION: 'maybe' }), /PAAS_ISOLATION must be auto, sandbox, none/);
  assert.equal(loadConfig({ PAAS_ISOLATION: 'none' }).isolation.mode, 'none');
});

test('as root, the probe runs bwrap as nobody (as apps run as their own uid) and passes where unprivileged user namespaces work', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  assert.equal(probeSandbox(), undefined, 'this host allows unprivileged user namespaces');
  assert.equal(probeSandbox('bwrap', PROBE_UID), undefined);
  // A uid the probe runs as, seen by what it runs: a bwrap stand-in that fails unless it is nobody.
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-probe-'));
  try {
    fs.chmodSync(fake, 0o755);
    fs.writeFileSync(path.join(fake, 'bwrap'), `#!/bin/sh\n[ "$(id -u)" = ${PROBE_UID} ] || { echo "not nobody: $(id -u)" >&2; exit 1; }\n`, { mode: 0o755 });
    assert.equal(probeSandbox(path.join(fake, 'bwrap')), undefined);
    assert.match(probeSandbox(path.join(fake, 'bwrap'), 0) ?? '', /not nobody: 0/);
  } finally {
    fs.rmSync(fake, { recursive: true, force: true });
  }
});

test('single-tenant mode is announced at start as a warning naming the bubblewrap package; sandbox mode says so plainly', () => {
  const none = describeIsolation(loadConfig({ PAAS_ISOLATION: 'none' }).isolation);
  assert.match(none, /^WARNING: single-tenant mode: .*install the Debian package bubblewrap/);
  assert.match(describeIsolation({ mode: 'sandbox', reason: 'apps and builds run in per-app bubblewrap sandboxes' }), /^per-app sandboxes/);
});

test('per-process limits come from PAAS_APP_MEMORY_MB, PAAS_APP_PIDS, PAAS_APP_NOFILE and PAAS_APP_CPUS, with defaults; nonsense is refused', () => {
  assert.deepEqual({ ...loadConfig({ PAAS_ISOLATION: 'none' }).appLimits }, { memoryMb: 512, pids: 256, nofile: 4096, cpus: 1 });
  const set = loadConfig({ PAAS_ISOLATION: 'none', PAAS_APP_MEMORY_MB: '96', PAAS_APP_PIDS: '48', PAAS_APP_NOFILE: '256', PAAS_APP_CPUS: '0.5' }).appLimits;
  assert.deepEqual({ ...set }, { memoryMb: 96, pids: 48, nofile: 256, cpus: 0.5 });
  assert.throws(() => loadConfig({ PAAS_ISOLATION: 'none', PAAS_APP_CPUS: 'all' }), /PAAS_APP_CPUS/);
  assert.throws(() => loadConfig({ PAAS_ISOLATION: 'none', PAAS_APP_MEMORY_MB: 'lots' }), /PAAS_APP_MEMORY_MB must be a whole number >= 16/);
  assert.throws(() => loadConfig({ PAAS_ISOLATION: 'none', PAAS_APP_PIDS: '0' }), /PAAS_APP_PIDS must be a whole number >= 8/);
});
