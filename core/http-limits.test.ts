// core/http-limits.test.ts — the body guard's verdict and the PAAS_HTTP_* settings it reads (the socket-level
// behaviour is tested on the web port and the router: web/web-limits.test.ts, runtime/router-limits.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';
import { DEFAULT_HTTP_LIMITS, judgeBody, serverOptions } from './http-limits.ts';

const L = { ...DEFAULT_HTTP_LIMITS, bodyGraceMs: 10_000, minBodyRate: 1024, bodyIdleTimeoutMs: 15_000 };

test('a body is judged slow only after the grace, and stalled after the idle timeout at any time', () => {
  assert.equal(judgeBody({ bytes: 0, activeMs: 9_999, silentMs: 9_999 }, L), undefined, 'in the grace, a slow start is fine');
  assert.equal(judgeBody({ bytes: 10_240, activeMs: 10_000, silentMs: 0 }, L), undefined, 'exactly the minimum rate');
  assert.equal(judgeBody({ bytes: 10_239, activeMs: 10_000, silentMs: 0 }, L), 'slow');
  assert.equal(judgeBody({ bytes: 1_000_000_000, activeMs: 3_600_000, silentMs: 0 }, L), undefined, 'an hour-long upload above the rate');
  assert.equal(judgeBody({ bytes: 5, activeMs: 15_000, silentMs: 15_000 }, L), 'stalled');
  assert.equal(judgeBody({ bytes: 10_000_000, activeMs: 20_000, silentMs: 15_000 }, L), 'stalled', 'a fast start buys no silence');
});

test('PAAS_HTTP_BODY_* and PAAS_HTTP_MIN_BODY_RATE are read, checked at boot, and node gets no total deadline', () => {
  const base = { PAAS_DATA_DIR: '/tmp/paas-limits-test' };
  const c = loadConfig({ ...base, PAAS_HTTP_BODY_GRACE_MS: '5000', PAAS_HTTP_MIN_BODY_RATE: '512', PAAS_HTTP_BODY_IDLE_TIMEOUT_MS: '7000' });
  assert.deepEqual([c.httpLimits.bodyGraceMs, c.httpLimits.minBodyRate, c.httpLimits.bodyIdleTimeoutMs], [5000, 512, 7000]);
  const d = loadConfig(base).httpLimits;
  assert.deepEqual([d.bodyGraceMs, d.minBodyRate, d.bodyIdleTimeoutMs], [10_000, 1024, 15_000]);
  assert.throws(() => loadConfig({ ...base, PAAS_HTTP_MIN_BODY_RATE: '0' }), /PAAS_HTTP_MIN_BODY_RATE must be a whole number >= 1/);
  assert.throws(() => loadConfig({ ...base, PAAS_HTTP_BODY_IDLE_TIMEOUT_MS: '1.5' }), /PAAS_HTTP_BODY_IDLE_TIMEOUT_MS/);
  assert.equal(serverOptions(d).requestTimeout, 0);
  assert.equal(serverOptions(d).headersTimeout, 20_000);
});
