// test/chart/metrics.test.ts — the chart's Prometheus parts: off by default; with the options, the metrics token's
// Secret reaches the pods as PAAS_METRICS_TOKEN, the ServiceMonitor scrapes web and the probe ports with it,
// and the Grafana dashboard ships as a ConfigMap; the dashboard's JSON queries only metrics the platform exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { METRICS } from '../../core/metrics/catalogue.ts';
import { registry, startProcessMetrics } from '../../core/metrics/registry.ts';
import { external, find, objects, type Obj } from './chart-objects.ts';
import { chartDir } from './render-chart.ts';

const TOKEN = 'scrape-token-1234';
const on = { ...external, metrics: { token: TOKEN, serviceMonitor: { enabled: true, labels: { release: 'prom' } }, grafanaDashboard: { enabled: true } } };
const envOf = (objs: Obj[], name: string) => find(objs, 'Deployment', `paas-${name}`).spec.template.spec.containers[0].env as Array<{ name: string; valueFrom?: any }>;

test('by default the chart has no ServiceMonitor, no dashboard and no metrics token', () => {
  const objs = objects();
  assert.deepEqual(objs.filter((o) => o.kind === 'ServiceMonitor' || /metrics|dashboard/.test(o.metadata.name)), []);
  assert.ok(!envOf(objs, 'web').some((e) => e.name === 'PAAS_METRICS_TOKEN'));
});

test('with metrics on: the token Secret feeds PAAS_METRICS_TOKEN, the ServiceMonitor scrapes web and the probe ports with it', () => {
  const objs = objects(on);
  const secret = find(objs, 'Secret', 'paas-metrics');
  assert.equal(Buffer.from(String(secret.data.PAAS_METRICS_TOKEN), 'base64').toString(), TOKEN);
  for (const name of ['web', 'gitd', 'controller']) {
    assert.deepEqual(envOf(objs, name).find((e) => e.name === 'PAAS_METRICS_TOKEN')?.valueFrom, { secretKeyRef: { name: 'paas-metrics', key: 'PAAS_METRICS_TOKEN' } }, name);
  }
  const sm = find(objs, 'ServiceMonitor', 'paas');
  assert.equal(sm.metadata.labels!.release, 'prom');
  assert.deepEqual(sm.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'paas', 'app.kubernetes.io/instance': 'paas' });
  const [web, probes] = sm.spec.endpoints;
  assert.deepEqual({ port: web.port, path: web.path, auth: web.authorization }, { port: 'http', path: '/metrics', auth: { type: 'Bearer', credentials: { name: 'paas-metrics', key: 'PAAS_METRICS_TOKEN' } } });
  assert.deepEqual({ port: probes.port, path: probes.path, auth: probes.authorization }, { port: 'probes', path: '/metrics', auth: { type: 'Bearer', credentials: { name: 'paas-metrics', key: 'PAAS_METRICS_TOKEN' } } });
  // The ports it names are the Services' own.
  const ports = (svc: string) => find(objs, 'Service', svc).spec.ports.map((p: { name: string }) => p.name);
  assert.deepEqual([ports('paas-web'), ports('paas-controller'), ports('paas-gitd')], [['http'], ['probes'], ['probes']]);
  const cm = find(objs, 'ConfigMap', 'paas-dashboard');
  assert.equal(cm.metadata.labels!.grafana_dashboard, '1');
  assert.deepEqual(JSON.parse(cm.data['paas.json']), JSON.parse(fs.readFileSync(path.join(chartDir, 'dashboards/paas.json'), 'utf8')));
});

test('an existing Secret replaces the chart\'s; a ServiceMonitor without any token does not render', () => {
  const objs = objects({ ...external, metrics: { existingSecret: 'mine', existingSecretKey: 'tok', serviceMonitor: { enabled: true } } });
  assert.ok(!objs.some((o) => o.metadata.name === 'paas-metrics'));
  for (const endpoint of find(objs, 'ServiceMonitor', 'paas').spec.endpoints) assert.deepEqual(endpoint.authorization.credentials, { name: 'mine', key: 'tok' }, endpoint.port);
  assert.deepEqual(envOf(objs, 'web').find((e) => e.name === 'PAAS_METRICS_TOKEN')?.valueFrom, { secretKeyRef: { name: 'mine', key: 'tok' } });
  assert.throws(() => objects({ ...external, metrics: { serviceMonitor: { enabled: true } } }), /needs metrics\.token or metrics\.existingSecret/);
});

test('a dashboard with empty labels (null, as helm --set ...labels=null leaves them) still renders valid YAML with the chart\'s labels only', () => {
  // Helm merges a user's `labels: {}` into the default map; null is how the labels end up empty (toYaml: `null`).
  const objs = objects({ ...external, metrics: { grafanaDashboard: { enabled: true, labels: null } } });
  const cm = find(objs, 'ConfigMap', 'paas-dashboard');
  assert.equal(cm.metadata.labels!['app.kubernetes.io/name'], 'paas');
  assert.equal(cm.metadata.labels!.grafana_dashboard, undefined);
  assert.ok(cm.data['paas.json'].length > 100);
});

test('the Grafana dashboard parses and queries only metrics the platform exports; shared backlogs are max()ed, not summed', () => {
  const dash = JSON.parse(fs.readFileSync(path.join(chartDir, 'dashboards/paas.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };
  startProcessMetrics();
  const exported = new Set(registry.getMetricsAsArray().flatMap((m) => (String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name])));
  const exprs = [...dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr), ...dash.templating.list.flatMap((v) => v.definition ?? [])];
  const queried = new Set(exprs.flatMap((e) => e.match(/\bpaas_[a-z0-9_]+/g) ?? []));
  assert.ok(queried.size >= 20, `the dashboard queries ${queried.size} metrics`);
  assert.deepEqual([...queried].filter((n) => !exported.has(n)), []);
  // The outbox and the consumers' lag are one value read by every process: summed they would count it per process.
  for (const name of ['paas_outbox_pending', 'paas_outbox_oldest_pending_age_seconds', 'paas_jetstream_consumer_pending', 'paas_jetstream_consumer_ack_pending']) {
    const uses = exprs.filter((e) => e.includes(name));
    assert.ok(uses.length > 0 && uses.every((e) => /^max( by \(durable\))? ?\(/.test(e)), `${name}: ${uses.join(' | ')}`);
  }
  // Every platform metric of the catalogue has a panel.
  const bases = new Set([...queried].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
  assert.deepEqual(Object.keys(METRICS).filter((n) => !bases.has(n)), []);
});

test('tracing.otlpEndpoint reaches every platform process as OTEL_EXPORTER_OTLP_ENDPOINT; unset, none has it', () => {
  const endpoint = 'http://jaeger-collector.observability:4318';
  const objs = objects({ ...external, tracing: { otlpEndpoint: endpoint } });
  for (const name of ['web', 'gitd', 'controller']) {
    assert.deepEqual(envOf(objs, name).find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT'), { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoint }, name);
    assert.ok(!envOf(objects(), name).some((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT'), name);
  }
});
