// test/chart/network-policy.test.ts — the chart's tenant boundary in Kubernetes mode: the build namespace it
// creates, the NetworkPolicies that keep app and build pods out of the platform (build pods reach only web's source
// route, DNS and buildEgress), that they can be turned off, and that the controller's RBAC reaches the build namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config.ts';
import { toBuildJob, toBuildNamespace } from '../../runtime/kubernetes/job-manifests.ts';
import { toNamespace } from '../../runtime/kubernetes/manifests.ts';
import { external, find, objects, type Obj } from './chart-objects.ts';

const release = { name: 'paas', namespace: 'platform' };

/** Whether a label selector (matchLabels and matchExpressions with Exists/DoesNotExist/In/NotIn) selects these labels. */
function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === 'Exists') return e.key in labels;
    if (e.operator === 'DoesNotExist') return !(e.key in labels);
    const listed = (e.values ?? []).includes(labels[e.key] ?? '');
    return e.operator === 'In' ? listed : !listed;
  });
  return byLabel && byExpr;
}

type Peer = { namespaceSelector?: any; podSelector?: any; ipBlock?: { cidr: string } };

/** Whether an ingress rule lets a pod (with its namespace's labels) in: any peer matches it (ipBlocks aside). */
function admits(rules: Array<{ from?: Peer[] }>, ns: Record<string, string>, pod: Record<string, string>): boolean {
  return rules.some((r) => (r.from ?? []).some((p) => !p.ipBlock && (p.namespaceSelector ? selects(p.namespaceSelector, ns) : false)
    && (p.podSelector ? selects(p.podSelector, pod) : true)));
}

const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_NAMESPACE: 'platform' });
const appNs = toNamespace(config, 'shop').metadata!.labels!;
const buildNs = toBuildNamespace(config).metadata!.labels!;
const buildPod = toBuildJob(config, { app: 'shop', buildId: 'b', number: 1, token: 't' }).spec!.template.metadata!.labels!;
const ingressNs = { 'kubernetes.io/metadata.name': 'ingress-nginx' };
const webPod = (objs: Obj[]) => find(objs, 'Deployment', 'paas-web').spec.template.metadata.labels as Record<string, string>;

/** The ingress rules of every policy in the release namespace that selects the pod. */
function rulesFor(objs: Obj[], pod: Record<string, string>): Array<{ from?: Peer[] }> {
  return objs.filter((o) => o.kind === 'NetworkPolicy' && !o.metadata.namespace && selects(o.spec.podSelector, pod)).flatMap((o) => o.spec.ingress);
}

test('the platform takes no connection from app pods, and from build pods only to web on its source port', () => {
  const objs = objects(external, release);
  for (const name of ['paas-web', 'paas-gitd', 'paas-controller']) {
    const pod = find(objs, 'Deployment', name).spec.template.metadata.labels as Record<string, string>;
    const rules = rulesFor(objs, pod);
    assert.ok(rules.length > 0, `${name} is selected by a policy`);
    assert.equal(admits(rules, appNs, { 'app.kubernetes.io/instance': 'shop' }), false, `app pods cannot reach ${name}`);
    assert.equal(admits(rules, ingressNs, {}), true, `the ingress controller reaches ${name}`);
    const fromBuilds = admits(rules, buildNs, buildPod);
    assert.equal(fromBuilds, name === 'paas-web', `build pods reach ${name}: ${fromBuilds}`);
  }
  const source = find(objs, 'NetworkPolicy', 'paas-build-source');
  assert.deepEqual(source.spec.ingress[0].ports, [{ port: 5000, protocol: 'TCP' }], 'only the web port (PAAS_GITD_URL)');
  const platform = find(objs, 'NetworkPolicy', 'paas-platform');
  assert.deepEqual(platform.spec.podSelector, { matchLabels: { 'app.kubernetes.io/instance': 'paas' } }, 'in-release PostgreSQL and NATS too');
  const open = platform.spec.ingress.filter((r: { from: Peer[] }) => r.from.some((p) => p.ipBlock));
  assert.deepEqual(open.map((r: { ports: unknown }) => r.ports), [[{ port: 2222, protocol: 'TCP' }]], 'only SSH is open to any address');
});

test("build pods take no connection, and reach only DNS, web's source route and the registry and mirrors", () => {
  const objs = objects(external, release);
  const ns = find(objs, 'Namespace', 'platform-builds');
  assert.equal(ns.metadata.namespace, undefined);
  assert.ok(selects({ matchLabels: { 'paas.dev/tenant': 'build' } }, ns.metadata.labels!));
  const builds = find(objs, 'NetworkPolicy', 'paas-builds');
  assert.equal(builds.metadata.namespace, 'platform-builds');
  assert.deepEqual(builds.spec.podSelector, {});
  assert.deepEqual(builds.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(builds.spec.ingress, []);
  const [dns, source, registry] = builds.spec.egress;
  assert.deepEqual(dns.ports.map((p: { port: number }) => p.port), [53, 53]);
  assert.ok(selects(source.to[0].namespaceSelector, { 'kubernetes.io/metadata.name': 'platform' }));
  assert.ok(selects(source.to[0].podSelector, webPod(objs)), 'the web pods');
  assert.deepEqual(source.ports, [{ port: 5000, protocol: 'TCP' }]);
  assert.deepEqual(registry.to[0].ipBlock.except, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'], 'no private or metadata address');
  assert.equal(builds.spec.egress.length, 3);
  // An in-cluster registry, and a Kubernetes 1.20 cluster whose namespace the operator labelled.
  const custom = objects({
    ...external,
    networkPolicy: { platformNamespaceLabels: { 'paas.example/ns': 'platform' }, buildEgress: [{ to: [{ ipBlock: { cidr: '10.96.0.10/32' } }], ports: [{ port: 5000, protocol: 'TCP' }] }] },
  }, release);
  const customBuilds = find(custom, 'NetworkPolicy', 'paas-builds');
  assert.deepEqual(customBuilds.spec.egress[1].to[0].namespaceSelector, { matchLabels: { 'paas.example/ns': 'platform' } });
  assert.deepEqual(customBuilds.spec.egress[2], { to: [{ ipBlock: { cidr: '10.96.0.10/32' } }], ports: [{ port: 5000, protocol: 'TCP' }] });
});

test('networkPolicy.enabled=false renders no NetworkPolicy; the build namespace can be named, or left to the operator', () => {
  const off = objects({ ...external, networkPolicy: { enabled: false }, builds: { namespace: 'ci', createNamespace: false } }, release);
  assert.deepEqual(off.filter((o) => o.kind === 'NetworkPolicy' || o.kind === 'Namespace'), []);
  assert.equal(find(off, 'ConfigMap', 'paas-settings').data.PAAS_BUILD_NAMESPACE, 'ci');
  const named = objects({ ...external, builds: { namespace: 'ci' } }, release);
  assert.equal(find(named, 'NetworkPolicy', 'paas-builds').metadata.namespace, 'ci');
  assert.ok(find(named, 'Namespace', 'ci'));
});

test("the controller's rights reach the build namespace: Jobs, their pods and logs, and Secrets, bound cluster-wide", () => {
  const objs = objects(external, release);
  const rules = find(objs, 'ClusterRole', 'platform-paas-controller').rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  const can = (group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
  for (const verb of ['create', 'get', 'watch', 'delete', 'patch']) assert.ok(can('batch', 'jobs', verb), `jobs ${verb}`);
  for (const verb of ['create', 'get', 'patch', 'delete']) assert.ok(can('', 'secrets', verb), `secrets ${verb} (the token Secret and the push Secret's copy)`);
  for (const verb of ['get', 'watch']) assert.ok(can('', 'pods', verb), `pods ${verb}`);
  assert.ok(can('', 'pods/log', 'get'));
  assert.ok(can('', 'namespaces', 'patch'), 'the controller applies the build namespace when it is missing');
  assert.ok(!can('', 'pods', 'create'), 'pods are made by the Job controller, not ours');
  assert.ok(!can('networking.k8s.io', 'networkpolicies', 'patch'), 'tenant boundaries are the chart\'s, not the controller\'s');
  const binding = find(objs, 'ClusterRoleBinding', 'platform-paas-controller');
  assert.equal(binding.roleRef.kind, 'ClusterRole', 'a ClusterRoleBinding grants it in every namespace, the build namespace included');
});
