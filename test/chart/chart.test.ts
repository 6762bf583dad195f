// Tests for charts/paas: every template renders (test/chart/render-chart.ts stands in for `helm template`), parses as
// YAML and validates with kubernetes-models; the settings match what core/config.ts reads; RBAC stays scoped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { loadConfig } from '../../core/config.ts';
import { external, find, models, objects, type Obj } from './chart-objects.ts';
import { chartDir, renderChart } from './render-chart.ts';

const decode = (secret: Obj, key: string): string => Buffer.from(String(secret.data[key]), 'base64').toString();

test('every template renders to valid Kubernetes objects', () => {
  const objs = objects();
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
    'ClusterRole/platform-paas-controller', 'ClusterRole/platform-paas-reader', 'ClusterRoleBinding/platform-paas-controller',
    'ClusterRoleBinding/platform-paas-reader', 'ConfigMap/paas-settings', 'Deployment/paas-controller', 'Deployment/paas-gitd', 'Deployment/paas-web', 'Ingress/paas-web',
    'Namespace/platform-builds', 'NetworkPolicy/paas-build-source', 'NetworkPolicy/paas-builds', 'NetworkPolicy/paas-platform',
    'PersistentVolumeClaim/paas-data', 'Secret/paas-database', 'Secret/paas-nats', 'Service/paas-controller',
    'Service/paas-gitd', 'Service/paas-ssh', 'Service/paas-web', 'ServiceAccount/paas-controller', 'ServiceAccount/paas-reader',
  ]);
  const notes = renderChart(external).get('NOTES.txt') ?? '';
  assert.match(notes, /exec -i deploy\/paas-web -- node dist\/cli\/main\.js users:create/);
});

test('the chart, the Procfile and the npm scripts run the same compiled entry points', () => {
  const objs = objects();
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const procfile = new Map(fs.readFileSync(path.join(root, 'Procfile'), 'utf8').split('\n')
    .filter((l) => /^\w+:/.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.deepEqual([...procfile.keys()], ['web', 'gitd', 'controller']);
  for (const name of procfile.keys()) {
    const command = `node dist/${name}/main.js`;
    assert.deepEqual(find(objs, 'Deployment', `paas-${name}`).spec.template.spec.containers[0].args, command.split(' '), name);
    assert.equal(procfile.get(name), command, `Procfile ${name}`);
    assert.equal(scripts[`start:${name}`], command, `npm run start:${name}`);
    assert.ok(fs.existsSync(path.join(root, name, 'main.ts')), `${name}/main.ts compiles to dist/${name}/main.js`);
  }
  assert.equal(scripts.start, 'node dist/main.js');
  assert.equal(scripts.prestart, `${scripts.build} --if-stale`, '`npm start` builds first when a source changed');
});

test('the settings and Secrets are what core/config.ts reads', () => {
  const objs = objects({ ...external, registry: { url: 'registry.example.com/team', existingSecret: 'push' }, baseDomain: 'apps.test' });
  const settings = find(objs, 'ConfigMap', 'paas-settings').data as Record<string, string>;
  const env = { ...settings, DATABASE_URL: decode(find(objs, 'Secret', 'paas-database'), 'DATABASE_URL'), NATS_URL: decode(find(objs, 'Secret', 'paas-nats'), 'NATS_URL') };
  const config = loadConfig(env);
  assert.equal(config.mode, 'kubernetes');
  assert.equal(config.databaseUrl, external.database.url);
  assert.equal(config.natsUrl, external.natsUrl);
  assert.equal(config.baseDomain, 'apps.test');
  assert.equal(config.registry, 'registry.example.com/team');
  assert.equal(config.registrySecret, 'push');
  assert.equal(config.registryPullSecret, 'push', 'without registry.pullSecret the push Secret serves both');
  assert.equal(config.namespace, 'platform');
  assert.equal(config.buildNamespace, 'platform-builds', 'builds run in a namespace of their own');
  assert.equal(config.appLimits.memoryMb, 512);
  assert.equal(config.gitdInternalUrl, 'http://paas-web.platform.svc:5000', 'build pods fetch sources from the web Service');
  assert.equal(config.dataDir, '/var/lib/paas');
  assert.equal(config.ingressClass, undefined, '"" means the cluster default');
  // Every key the chart sets is read by core/config.ts.
  const configSource = fs.readFileSync(new URL('../../core/config.ts', import.meta.url), 'utf8');
  const unread = Object.keys(settings).filter((k) => !configSource.includes(`env.${k}`) && !configSource.includes(`'${k}'`));
  assert.deepEqual(unread, []);
});

test('only the controller writes to the API, with scoped, explained rules; web and gitd only read pods and their logs', () => {
  const objs = objects();
  for (const name of ['paas-web', 'paas-gitd']) {
    const pod = find(objs, 'Deployment', name).spec.template.spec;
    assert.equal(pod.serviceAccountName, 'paas-reader', name);
    assert.equal(pod.automountServiceAccountToken, true, name);
  }
  const readerRules = find(objs, 'ClusterRole', 'platform-paas-reader').rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  assert.deepEqual(readerRules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0] || 'core'}/${res}: ${r.verbs.join(',')}`)),
    ['core/pods: get,list,watch', 'core/pods/log: get'], 'the reader only reads pods and their logs');
  const readerBinding = find(objs, 'ClusterRoleBinding', 'platform-paas-reader');
  assert.deepEqual(readerBinding.subjects, [{ kind: 'ServiceAccount', name: 'paas-reader', namespace: 'platform' }]);
  assert.equal(readerBinding.roleRef.name, 'platform-paas-reader');
  assert.equal(find(objs, 'Deployment', 'paas-controller').spec.template.spec.serviceAccountName, 'paas-controller');
  const rules = find(objs, 'ClusterRole', 'platform-paas-controller').rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  const granted = rules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0] || 'core'}/${res}: ${r.verbs.join(',')}`));
  const crud = 'get,list,watch,create,patch,delete';
  assert.deepEqual(granted, [
    `core/namespaces: ${crud}`, `apps/deployments: ${crud}`, 'autoscaling/horizontalpodautoscalers: get,list,create,patch,delete', `core/services: ${crud}`, `networking.k8s.io/ingresses: ${crud}`,
    `core/secrets: ${crud}`, `core/configmaps: ${crud}`, `batch/jobs: ${crud}`, 'core/pods: get,list,watch,delete', 'core/pods/log: get',
  ]);
  const rbacText = fs.readFileSync(path.join(chartDir, 'templates/rbac.yaml'), 'utf8');
  assert.equal(rules.length, rbacText.split('\n').filter((l) => /^ {2}# /.test(l)).length, 'each rule has its comment');
  const binding = find(objs, 'ClusterRoleBinding', 'platform-paas-controller');
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'paas-controller', namespace: 'platform' }]);
});

test('Services select their Deployment, and ports by name exist', () => {
  const objs = objects();
  const deployments = objs.filter((o) => o.kind === 'Deployment');
  for (const d of deployments) assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels, d.metadata.name);
  for (const svc of objs.filter((o) => o.kind === 'Service')) {
    const target = deployments.find((d) => Object.entries(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
    assert.ok(target, `Service ${svc.metadata.name} selects a Deployment`);
    const portNames = target.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
    for (const p of svc.spec.ports) assert.ok(portNames.includes(p.targetPort), `${svc.metadata.name} -> ${p.targetPort}`);
  }
  const ssh = find(objs, 'Service', 'paas-ssh');
  assert.equal(ssh.spec.type, 'LoadBalancer');
  assert.equal(ssh.spec.ports[0].port, 22);
});

test('every Service and container port names its protocol: server-side apply on Kubernetes 1.20 refuses a Service port without it', () => {
  // "associative list with keys has an element that omits key field protocol" (test/kubernetes/chart-dry-run.test.ts).
  const objs = objects();
  for (const svc of objs.filter((o) => o.kind === 'Service')) {
    for (const p of svc.spec.ports) assert.equal(p.protocol, 'TCP', `Service ${svc.metadata.name} port ${p.name}`);
  }
  for (const d of objs.filter((o) => o.kind === 'Deployment')) {
    for (const p of d.spec.template.spec.containers[0].ports) assert.equal(p.protocol, 'TCP', `Deployment ${d.metadata.name} port ${p.name}`);
  }
});

test('a startup probe guards each process\'s first boot: liveness (a minute of failures) starts only once it passes', () => {
  // On the real cluster the first boot (migrations on a fresh database, a busy node) outlasted the liveness probe's
  // minute and the kubelet restarted all three processes (test/kubernetes/chart-install.test.ts).
  for (const d of objects().filter((o) => o.kind === 'Deployment')) {
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(c.startupProbe?.httpGet, c.livenessProbe.httpGet, d.metadata.name);
    assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 300, `${d.metadata.name}: 5 minutes to boot`);
  }
});

test('each release has NATS subjects and a JetStream stream of its own: two releases sharing one NATS never take each other\'s work', () => {
  // Seen on the real cluster: an install sharing the host's NATS lost its first push's event to another platform's consumer.
  const settings = (release: { name: string; namespace: string }, values: Record<string, unknown> = {}) => loadConfig(find(objects({ ...external, ...values }, release), 'ConfigMap', `${release.name}-settings`).data);
  const a = settings({ name: 'paas', namespace: 'team-a' });
  const b = settings({ name: 'paas', namespace: 'team-b' });
  assert.equal(a.subjectPrefix, 'team-a.paas.');
  assert.notEqual(a.subjectPrefix, b.subjectPrefix);
  assert.equal(settings({ name: 'paas', namespace: 'x' }, { natsSubjectPrefix: 'prod' }).subjectPrefix, 'prod.');
});

test('builds.sourceUrl replaces the web Service DNS name for build pods (a cluster without DNS)', () => {
  const url = (values: Record<string, unknown>) => find(objects({ ...external, ...values }), 'ConfigMap', 'paas-settings').data.PAAS_GITD_URL;
  assert.equal(url({}), 'http://paas-web.platform.svc:5000');
  assert.equal(url({ builds: { sourceUrl: 'http://10.96.0.20:5000' } }), 'http://10.96.0.20:5000');
});

test('NodePort SSH, and PostgreSQL and NATS as in-release dependencies', () => {
  const objs = objects({
    ssh: { service: { type: 'NodePort', nodePort: 30022 } },
    postgresql: { enabled: true, auth: { password: 's3cret' } },
    nats: { enabled: true },
  }, { name: 'demo', namespace: 'paas' });
  const ssh = find(objs, 'Service', 'demo-ssh');
  assert.equal(ssh.spec.type, 'NodePort');
  assert.equal(ssh.spec.ports[0].nodePort, 30022);
  assert.equal(ssh.spec.externalTrafficPolicy, undefined);
  assert.equal(decode(find(objs, 'Secret', 'demo-database'), 'DATABASE_URL'), 'postgres://paas:s3cret@demo-postgresql:5432/paas');
  assert.equal(decode(find(objs, 'Secret', 'demo-nats'), 'NATS_URL'), 'nats://demo-nats:4222');
});

test('without a database or NATS the chart refuses to render, as helm does with required', () => {
  assert.throws(() => renderChart({ natsUrl: 'nats://n:4222' }), /Set database\.url \(an external PostgreSQL\), database\.existingSecret, or postgresql\.enabled=true/);
  assert.throws(() => renderChart({ database: external.database }), /Set natsUrl/);
  assert.throws(() => renderChart({ natsUrl: 'nats://n:4222', postgresql: { enabled: true } }), /postgresql\.auth\.password is required/);
});

test('an existing database Secret, TLS and an ingress class', () => {
  const objs = objects({ natsUrl: 'nats://n:4222', database: { existingSecret: 'db', existingSecretKey: 'url' }, tlsClusterIssuer: 'letsencrypt', ingressClass: 'nginx' });
  assert.ok(!objs.some((o) => o.kind === 'Secret' && o.metadata.name === 'paas-database'));
  const env = find(objs, 'Deployment', 'paas-web').spec.template.spec.containers[0].env;
  assert.deepEqual(env[1], { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } });
  const ingress = find(objs, 'Ingress', 'paas-web');
  assert.equal(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer'], 'letsencrypt');
  assert.deepEqual(ingress.spec.tls, [{ hosts: ['paas.apps.example.com'], secretName: 'paas-web-tls' }]);
  assert.equal(ingress.spec.ingressClassName, 'nginx');
});

test('Chart.yaml: both dependencies are conditional and off by default', () => {
  const chart = YAML.parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { dependencies: Array<{ name: string; condition: string }> };
  const values = YAML.parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, { enabled?: boolean }>;
  assert.deepEqual(chart.dependencies.map((d) => [d.name, d.condition]), [['postgresql', 'postgresql.enabled'], ['nats', 'nats.enabled']]);
  for (const d of chart.dependencies) assert.equal(values[d.name]?.enabled, false, d.name);
});

test('scripts/kind-up.sh: its dev services validate, and the script is shellcheck-clean', (t) => {
  const manifest = fs.readFileSync(new URL('../../scripts/kind-dev-services.yaml', import.meta.url), 'utf8');
  const kinds = YAML.parseAllDocuments(manifest).map((doc) => {
    const obj = doc.toJS() as Obj;
    new models[`${obj.apiVersion}/${obj.kind}`]!(obj as never).validate();
    return `${obj.kind}/${obj.metadata.name}`;
  });
  assert.deepEqual(kinds, ['Deployment/postgres', 'Service/postgres', 'Deployment/nats', 'Service/nats']);
  const script = fileURLToPath(new URL('../../scripts/kind-up.sh', import.meta.url));
  const shellcheck = spawnSync('shellcheck', [script], { encoding: 'utf8' });
  if (shellcheck.error) return t.skip('shellcheck is not installed (apt-get install shellcheck)');
  assert.equal(shellcheck.status, 0, shellcheck.stdout);
});
