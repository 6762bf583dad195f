// core/metrics/token.test.ts — the metrics token's constant-time check and the health ports' refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerOf } from '../bearer.ts';
import { probeMetricsRefusal, sameToken } from './token.ts';

test('sameToken compares whole tokens whatever their lengths', () => {
  assert.ok(sameToken('abc', 'abc'));
  assert.ok(!sameToken('abc', 'abcd'));
  assert.ok(!sameToken('', 'abc'));
  assert.ok(!sameToken('abd', 'abc'));
});

test('the health ports take only the metrics token, and say /metrics is off when none is set', () => {
  assert.equal(bearerOf('Bearer  t0k'), 't0k');
  assert.equal(bearerOf('Basic t0k'), undefined);
  assert.equal(probeMetricsRefusal('Bearer t0k', 't0k'), undefined);
  assert.match(String(probeMetricsRefusal(undefined, 't0k')), /PAAS_METRICS_TOKEN/);
  assert.match(String(probeMetricsRefusal('Bearer t0j', 't0k')), /PAAS_METRICS_TOKEN/);
  assert.match(String(probeMetricsRefusal('Bearer t0k', undefined)), /off on the health ports/);
});
