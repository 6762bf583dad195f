// core/git-limits.test.ts — the git and SSH limits read from the environment: defaults, fractions, refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMb, loadGitLimits } from './git-limits.ts';

test('defaults, fractions of seconds and MB, and bad values refused with the variable named', () => {
  const d = loadGitLimits({});
  assert.equal(d.sshHandshakeTimeoutMs, 20_000);
  assert.equal(d.slugRetention, 5);
  const small = loadGitLimits({ PAAS_SSH_IDLE_TIMEOUT: '0.5', PAAS_MAX_PUSH_MB: '1.5' });
  assert.equal(small.sshIdleTimeoutMs, 500);
  assert.equal(small.maxPushBytes, 1.5 * 1024 * 1024);
  assert.throws(() => loadGitLimits({ PAAS_SLUG_RETENTION: '0' }), /PAAS_SLUG_RETENTION must be a whole number >= 1/);
  assert.throws(() => loadGitLimits({ PAAS_SSH_MAX_PER_ADDRESS: '2.5' }), /PAAS_SSH_MAX_PER_ADDRESS must be a whole number/);
  assert.equal(formatMb(1.6 * 1024 * 1024), '1.6 MB');
});
