// test/kubernetes/chart-dry-run.test.ts — every object charts/paas renders passes the real API server's validation
// (Kubernetes 1.20.2, scripts/test-cluster.sh): server-side apply with dryRun=All, as `kubectl apply --server-side
// --dry-run=server` sends it, with the default values, with every optional part on and with every optional part
// off. (1.20's server-side apply drops a field its schema does not declare instead of refusing it; strict field
// validation came in 1.25: test/chart/chart.test.ts catches unknown fields with kubernetes-models.)
// The only kinds the server may not serve are the optional CRD-based ones (the Prometheus Operator's
// ServiceMonitor): this cluster has no such CRD, so that object is checked by test/chart/metrics.test.ts only.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { external } from '../chart/chart-objects.ts';
import { deleteNamespacesAfter, requireCluster, uniquePrefix } from '../support/cluster.ts';
import { applyObject, deleteReleaseAfter, kindOf, kubectl, nameOf, OPTIONAL_CRD_KINDS, renderForCluster, run, type Rendered } from '../support/chart-install.ts';

/** Renders for a fresh release, creates its namespaces (the precondition of `helm install --create-namespace`), dry-runs every served object. */
async function dryRunAll(t: TestContext, values: Record<string, unknown>): Promise<Rendered> {
  const cluster = requireCluster();
  const prefix = uniquePrefix();
  const release = { name: `${prefix}paas`, namespace: `${prefix}platform` };
  const rendered = await renderForCluster(cluster.kube, values, release);
  const namespaces = [release.namespace, ...rendered.objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)];
  deleteNamespacesAfter(t, cluster.kube, () => namespaces);
  deleteReleaseAfter(t, cluster.kube, () => rendered.clusterScoped);
  await cluster.kube.core.createNamespace({ body: { metadata: { name: release.namespace } } });
  // A namespaced object cannot be dry-run into a namespace that does not exist: the chart's own (the build namespace) are applied for real first.
  for (const ns of rendered.objs.filter((o) => o.kind === 'Namespace')) await applyObject(cluster.kube, ns);
  const refused: string[] = [];
  for (const obj of rendered.objs) {
    try {
      await applyObject(cluster.kube, obj, true);
    } catch (err) {
      refused.push((err as Error).message);
    }
  }
  assert.deepEqual(refused, [], 'the API server accepts every object');
  for (const obj of rendered.unserved) assert.ok(OPTIONAL_CRD_KINDS.includes(kindOf(obj)), `${nameOf(obj)}: the server does not serve ${kindOf(obj)}, and it is not an optional CRD kind`);
  // Nothing but the namespaces was stored: dry-run really is dry.
  const stored = await cluster.kube.apps.listNamespacedDeployment({ namespace: release.namespace });
  assert.deepEqual(stored.items, []);
  return rendered;
}

const kinds = (r: Rendered) => [...new Set(r.objs.map((o) => o.kind))].sort();

test('dry-run=server: the default values', async (t) => {
  const r = await dryRunAll(t, external);
  assert.deepEqual(kinds(r), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Ingress', 'Namespace', 'NetworkPolicy', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount']);
  assert.deepEqual(r.unserved, []);
});

test('dry-run=server: every optional part on (ServiceMonitor only where its CRD is installed)', async (t) => {
  const r = await dryRunAll(t, {
    ...external,
    fullnameOverride: '', ingressClass: 'nginx', tlsClusterIssuer: 'letsencrypt', ingress: { enabled: true, host: 'paas.example.net' },
    imagePullSecrets: [{ name: 'ghcr' }],
    registry: { url: 'registry.example.com/paas', existingSecret: 'registry-push', pullSecret: 'registry-pull', insecure: true },
    builds: { sourceUrl: 'http://10.96.0.10:5000' },
    networkPolicy: {
      enabled: true, platformNamespaceLabels: { 'paas.dev/platform': 'yes' },
      platformIngress: [{ from: [{ ipBlock: { cidr: '172.17.0.1/32' } }], ports: [{ port: 5000, protocol: 'TCP' }] }],
      buildEgress: [{ to: [{ ipBlock: { cidr: '10.96.0.0/12' } }], ports: [{ port: 5000, protocol: 'TCP' }] }],
    },
    ssh: { service: { type: 'NodePort', port: 22 } },
    persistence: { storageClass: 'fast', colocate: true },
    tracing: { otlpEndpoint: 'http://collector.observability:4318' },
    metrics: { token: 'a-metrics-token', serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } }, grafanaDashboard: { enabled: true } },
  });
  assert.ok(r.objs.some((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')), 'the Grafana dashboard');
  assert.ok(r.objs.some((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-metrics')), 'the metrics token');
  const monitors = [...r.objs, ...r.unserved].filter((o) => o.kind === 'ServiceMonitor');
  assert.equal(monitors.length, 1, 'a ServiceMonitor was rendered (and dry-run if the server serves its CRD)');
});

test('dry-run=server: every optional part off', async (t) => {
  const r = await dryRunAll(t, {
    ...external,
    ingress: { enabled: false }, networkPolicy: { enabled: false }, builds: { createNamespace: false },
    persistence: { colocate: false }, ssh: { service: { type: 'ClusterIP' } },
  });
  assert.deepEqual(kinds(r), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount']);
});

test('dry-run=server refuses what the chart must never render: the check can fail', async (t) => {
  const cluster = requireCluster();
  const prefix = uniquePrefix();
  const release = { name: `${prefix}paas`, namespace: `${prefix}platform` };
  deleteNamespacesAfter(t, cluster.kube, () => [release.namespace]);
  await cluster.kube.core.createNamespace({ body: { metadata: { name: release.namespace } } });
  const r = await renderForCluster(cluster.kube, external, release);
  const web = structuredClone(r.objs.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-web'))!);
  web.spec.template.metadata.labels['app.kubernetes.io/component'] = 'other'; // the selector no longer selects the pods
  await assert.rejects(applyObject(cluster.kube, web, true), /HTTP 422 .*selector/);
  const service = structuredClone(r.objs.find((o) => o.kind === 'Service' && o.metadata.name.endsWith('-web'))!);
  service.spec.ports[0].port = 70000;
  await assert.rejects(applyObject(cluster.kube, service, true), /HTTP 422/);
});

test('the documented install without helm: scripts/render-chart.ts piped into kubectl apply --server-side --dry-run=server', async (t) => {
  const cluster = requireCluster();
  const prefix = uniquePrefix();
  const namespace = `${prefix}platform`;
  deleteNamespacesAfter(t, cluster.kube, () => [namespace, `${namespace}-builds`]);
  await cluster.kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await cluster.kube.core.createNamespace({ body: { metadata: { name: `${namespace}-builds` } } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-render-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'values.yaml'), YAML.stringify(external));
  const rendered = await run(process.execPath, ['--import', 'tsx', 'scripts/render-chart.ts', '--namespace', namespace, '--release', `${prefix}paas`, '-f', path.join(dir, 'values.yaml')], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.equal(rendered.code, 0, rendered.stderr);
  assert.match(rendered.stderr, new RegExp(`paas is installed in namespace ${namespace}`), 'NOTES.txt on standard error');
  const applied = await kubectl(cluster, ['apply', '--server-side', '--field-manager=paas-chart', '--dry-run=server', '-f', '-'], rendered.stdout);
  assert.equal(applied.code, 0, applied.stderr);
  const lines = applied.stdout.trim().split('\n');
  assert.equal(lines.length, 22, applied.stdout);
  assert.ok(lines.every((l) => / serverside-applied \(server dry run\)$/.test(l)), applied.stdout);
});
