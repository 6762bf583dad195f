// core/isolation.test.ts — PAAS_ISOLATION: auto falls back to single-tenant with the reason, sandbox insists, none is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeSandbox, resolveIsolation } from './isolation.ts';
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
