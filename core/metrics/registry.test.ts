// core/metrics/registry.test.ts — the registry: collected families merge their providers, a provider that fails or
// hangs is left out of the scrape and counted, event metrics keep their bounded labels, and docs/metrics.md lists
// exactly the catalogue's metrics with their labels.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { METRICS } from './catalogue.ts';
import { recordPush } from './record.ts';
import { metricsText, provide, registry, startProcessMetrics } from './registry.ts';

const body = async () => (await metricsText()).body;

test('providers of one family are summed by label set; a detached one stops reporting', async () => {
  const a = provide('paas_http_connections_open', () => [{ value: 2 }]);
  const b = provide('paas_http_connections_open', async () => [{ value: 3 }]);
  assert.match(await body(), /^paas_http_connections_open 5$/m);
  b();
  assert.match(await body(), /^paas_http_connections_open 2$/m);
  a();
  assert.doesNotMatch(await body(), /^paas_http_connections_open /m);
});

test('a provider that throws or hangs is left out and counted in paas_metrics_collect_errors_total', { timeout: 10_000 }, async () => {
  const a = provide('paas_outbox_pending', () => { throw new Error('database away'); });
  const b = provide('paas_db_pool_used_connections', () => new Promise(() => {}));
  const c = provide('paas_ssh_connections_open', () => [{ value: 1 }]);
  const first = await body();
  assert.doesNotMatch(first, /^paas_outbox_pending /m);
  assert.doesNotMatch(first, /^paas_db_pool_used_connections /m);
  assert.match(first, /^paas_ssh_connections_open 1$/m);
  [a, b, c].forEach((d) => d());
  const second = await body();
  assert.match(second, /^paas_metrics_collect_errors_total\{metric="paas_outbox_pending"\} 1$/m);
  assert.match(second, /^paas_metrics_collect_errors_total\{metric="paas_db_pool_used_connections"\} 1$/m);
});

test('a push outcome outside the fixed set is counted as other', async () => {
  recordPush('succeeded');
  recordPush('<script>' as 'succeeded');
  const text = await body();
  assert.match(text, /^paas_pushes_total\{outcome="succeeded"\} 1$/m);
  assert.match(text, /^paas_pushes_total\{outcome="other"\} 1$/m);
  assert.doesNotMatch(text, /script/);
});

test('Node\'s process metrics are prefixed paas_ and every metric of the registry is named paas_*', async () => {
  startProcessMetrics();
  startProcessMetrics(); // twice is harmless (the all-in-one process boots once, tests many times)
  assert.match(await body(), /^paas_process_cpu_seconds_total /m);
  assert.deepEqual(registry.getMetricsAsArray().map((m) => m.name).filter((n) => !n.startsWith('paas_')), []);
});

test('docs/metrics.md lists exactly the catalogue\'s metrics, each with its type and labels', () => {
  const text = fs.readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const rows = text.split('\n').filter((l) => l.startsWith('| `paas_')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
  const documented = Object.fromEntries(rows.map((c) => [c[0]!, `${c[1]} ${c[2] === '' || c[2] === '-' ? '' : c[2]}`]));
  const inCode = Object.fromEntries(Object.entries(METRICS).map(([n, d]) => [n, `${d.type} ${d.labels.join(', ')}`]));
  assert.deepEqual(documented, inCode);
});
