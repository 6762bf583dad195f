// test/kubernetes/chart-install.test.ts — charts/paas installed into the real test cluster (Kubernetes 1.20.2) without
// helm: rendered by test/chart/render-chart.ts, server-side applied into a namespace of its own, the platform image
// that scripts/test-cluster.sh built from this checkout. PostgreSQL and NATS are the host's, reached by pods through
// forwarders on the docker0 address (the chart's external-database and external-NATS values). One install serves:
//   1. an app pushed THROUGH the in-cluster platform (the first user and key made in the web pod, as NOTES.txt says;
//      git and OpenSSH to gitd's ssh Service), built by a real builder Job with Kaniko, live behind its Service;
//   2. least privilege: the controller runs as the chart's ServiceAccount, which is not cluster admin;
//   3. a right taken from the chart's ClusterRole makes the next push fail naming what was refused.
// No CoreDNS here: build pods reach web by its Service address (builds.sourceUrl), not its DNS name. Base images come
// through registry.mirror (Docker Hub names in the test registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { deleteNamespacesAfter, eventually, requireCluster, uniquePrefix } from '../support/cluster.ts';
import {
  applyObject, canI, dataVolumeFor, deleteReleaseAfter, freshDatabase, imageValues, kubectl, renderForCluster, run,
  pgStartupGate, podSources, tcpForwarder, waitForRollouts, type Rendered,
} from '../support/chart-install.ts';
import net from 'node:net';
import pg from 'pg';
import { keygen } from '../support/keys.ts';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).on('timeout', function (this: http.ClientRequest) { this.destroy(new Error('timeout')); });
  });
}

/** Connects, waits for the far side to speak or close (5 s at most), returns how many bytes it sent (NATS sends INFO first). */
function forwardedBytes(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const socket = net.connect(port, host);
    const timer = setTimeout(() => { socket.destroy(); resolve(n); }, 5000);
    socket.on('data', (d: Buffer) => { n += d.length; });
    socket.on('close', () => { clearTimeout(timer); resolve(n); });
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

async function queryOnce(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('charts/paas installed into the real cluster: a push through it, its least privilege, and a refused right named in the push', async (t) => {
  const cluster = requireCluster();
  const kube = cluster.kube;
  const adminUrl = process.env.DATABASE_URL;
  const natsUrl = new URL(process.env.NATS_URL ?? '');
  assert.ok(adminUrl && natsUrl.port, 'DATABASE_URL and NATS_URL (the host services .ci/run starts) are set');
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  const prefix = uniquePrefix();
  const release = { name: prefix.slice(0, -1), namespace: `${prefix}paas` };

  // The host's services, where the release's pods (and only they) can reach them. The database is the test's own,
  // owned by a role of its own (not a superuser); the PostgreSQL forwarder passes only that role's startup for that
  // database (the host trusts 127.0.0.1: without the gate any client could log in as the superuser). The host's NATS
  // has no accounts to scope a client to: its forwarder admits the release's pods only, by source address.
  const db = await freshDatabase(t, adminUrl);
  const releasePods = podSources(kube, [release.namespace]);
  const pgUrl = new URL(adminUrl);
  const pgForward = await tcpForwarder(cluster.hostAddress, { host: pgUrl.hostname, port: Number(pgUrl.port || 5432) }, {
    allow: releasePods, gate: pgStartupGate({ user: db.role, database: db.name }),
  });
  t.after(() => pgForward.close());
  const natsForward = await tcpForwarder(cluster.hostAddress, { host: natsUrl.hostname, port: Number(natsUrl.port) }, { allow: releasePods });
  t.after(() => natsForward.close());
  const podDbUrl = new URL(db.url);
  podDbUrl.hostname = cluster.hostAddress;
  podDbUrl.port = String(pgForward.port);
  // From this host (not a pod of the release) neither forwarder lets anything through, whoever it claims to be.
  for (const port of [pgForward.port, natsForward.port]) {
    assert.equal(await forwardedBytes(cluster.hostAddress, port), 0, `the forwarder on ${port} closes a connection from outside the release`);
  }
  const asSuperuser = new URL(adminUrl);
  asSuperuser.hostname = cluster.hostAddress;
  asSuperuser.port = String(pgForward.port);
  await assert.rejects(queryOnce(asSuperuser.href), 'no superuser login through the forwarder');
  const rel = release.name;
  const appNamespacePrefix = `${prefix}app-`;
  const app = 'hello';
  const appNamespace = `${appNamespacePrefix}${app}`;
  const values: Record<string, unknown> = {
    image: { ...imageValues(cluster.platformImage), pullPolicy: 'IfNotPresent' },
    database: { url: podDbUrl.href },
    natsUrl: `nats://${cluster.hostAddress}:${natsForward.port}`,
    registry: { url: `${cluster.registry}/${prefix}apps`, insecure: true, mirror: cluster.mirror },
    builderImage: cluster.builderImage,
    kanikoImage: cluster.kanikoImage,
    appNamespacePrefix,
    baseDomain: 'apps.test',
    persistence: { size: '1Gi' },
    web: { resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } } },
    gitd: { resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } } },
    controller: { resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } } },
  };
  let rendered: Rendered = { objs: [], namespaced: [], clusterScoped: [], unserved: [] };
  deleteNamespacesAfter(t, kube, () => [release.namespace, `${release.namespace}-builds`, appNamespace]);
  deleteReleaseAfter(t, kube, () => rendered.clusterScoped);
  await kube.core.createNamespace({ body: { metadata: { name: release.namespace } } });
  await dataVolumeFor(t, kube, { namespace: release.namespace, name: `${rel}-data` });

  await t.test('install: rendered, server-side applied, rolled out', async () => {
    // No DNS in this cluster: build pods fetch sources from web's Service by address, so web's Service goes first.
    const first = await renderForCluster(kube, values, release);
    const webService = first.objs.find((o) => o.kind === 'Service' && o.metadata.name === `${rel}-web`)!;
    const applied = await applyObject(kube, webService) as { spec: { clusterIP: string } };
    values.builds = { sourceUrl: `http://${applied.spec.clusterIP}:5000` };
    rendered = await renderForCluster(kube, values, release);
    assert.deepEqual(rendered.unserved, []);
    for (const obj of rendered.objs) await applyObject(kube, obj);
    await waitForRollouts(kube, release.namespace, [`${rel}-gitd`, `${rel}-web`, `${rel}-controller`]);
    t.diagnostic(`installed and rolled out at ${elapsed()}`);
    // No process was restarted on the way: the first boot neither raced the others' migrations nor outlasted a probe.
    const pods = await kube.core.listNamespacedPod({ namespace: release.namespace });
    assert.deepEqual(pods.items.flatMap((p) => (p.status?.containerStatuses ?? []).filter((c) => c.restartCount > 0).map((c) => `${p.metadata?.name}: ${c.restartCount} restarts, last ${JSON.stringify(c.lastState?.terminated ?? {})}`)), []);
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-chart-push-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = keygen(dir, 'id_ed25519', 'ed25519');
  const ssh = (await kube.core.readNamespacedService({ namespace: release.namespace, name: `${rel}-ssh` })).spec!.clusterIP!;
  const sshOptions = `-i ${key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10`;
  const env = { ...process.env, GIT_SSH_COMMAND: `ssh ${sshOptions}`, GIT_TERMINAL_PROMPT: '0' };
  const repo = path.join(dir, 'repo');
  const push = () => run('git', ['push', `ssh://git@${ssh}:22/${app}.git`, 'HEAD:main'], { cwd: repo, env, timeoutMs: 600_000 });

  await t.test('a push through the in-cluster platform: first user from the web pod, git over SSH to gitd, the app answers', async () => {
    // NOTES.txt's first-user path: the CLI inside the web pod, on the chart's database.
    const exec = (args: string[], input: string) => kubectl(cluster, ['-n', release.namespace, 'exec', '-i', `deploy/${rel}-web`, '--', 'node', 'dist/cli/main.js', ...args], input);
    const user = await exec(['users:create', 'admin@example.com'], 'a long enough password\n');
    assert.equal(user.code, 0, user.stdout + user.stderr);
    const added = await exec(['keys:add', 'admin@example.com'], fs.readFileSync(`${key}.pub`, 'utf8'));
    assert.equal(added.code, 0, added.stdout + added.stderr);
    const created = await run('ssh', [...sshOptions.split(' '), '-p', '22', `git@${ssh}`, 'apps:create', app]);
    assert.equal(created.code, 0, created.stdout + created.stderr);

    fs.mkdirSync(repo);
    // A Dockerfile app FROM a Docker Hub name: Kaniko finds it through registry.mirror (the test registry).
    fs.writeFileSync(path.join(repo, 'Dockerfile'), `FROM node:20-slim\nWORKDIR /app\nCOPY server.js .\nUSER 1000\nCMD ["node", "server.js"]\n`);
    fs.writeFileSync(path.join(repo, 'Procfile'), 'web: node /app/server.js\n');
    fs.writeFileSync(path.join(repo, 'server.js'), "require('http').createServer((q, s) => s.end(`hello from ${process.env.RELEASE_VERSION}`)).listen(process.env.PORT);\n");
    for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'hello']]) {
      const r = await run('git', args, { cwd: repo });
      assert.equal(r.code, 0, r.stderr);
    }
    const pushed = await push();
    t.diagnostic(`first push done at ${elapsed()}`);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stderr, /remote: -----> Building the image with Kaniko/);
    assert.match(pushed.stderr, /remote: -----> v1 is live at http:\/\/hello\.apps\.test\//);
    const service = await kube.core.readNamespacedService({ namespace: appNamespace, name: 'web' });
    const answer = await eventually('the app answers on its Service', async () => {
      const r = await get(`http://${service.spec!.clusterIP}:80/`);
      return r.status === 200 ? r.body : undefined;
    }, 30_000);
    assert.equal(answer, 'hello from v1');
  });

  await t.test('least privilege: the controller runs as the chart\'s ServiceAccount, which is not cluster admin', async () => {
    const pods = await kube.core.listNamespacedPod({ namespace: release.namespace, labelSelector: 'app.kubernetes.io/component=controller' });
    assert.equal(pods.items.length, 1);
    assert.equal(pods.items[0]!.spec!.serviceAccountName, `${rel}-controller`);
    for (const component of ['web', 'gitd']) {
      const p = await kube.core.listNamespacedPod({ namespace: release.namespace, labelSelector: `app.kubernetes.io/component=${component}` });
      assert.equal(p.items[0]!.spec!.serviceAccountName, `${rel}-reader`, component);
    }
    const controller = `system:serviceaccount:${release.namespace}:${rel}-controller`;
    const reader = `system:serviceaccount:${release.namespace}:${rel}-reader`;
    // What it needs (the check can fail): its apps' Deployments and the build Jobs.
    assert.equal(await canI(cluster, controller, 'patch', 'deployments.apps', appNamespace), true);
    assert.equal(await canI(cluster, controller, 'create', 'jobs.batch', `${release.namespace}-builds`), true);
    // Known gaps of the cluster-wide binding, asserted so they stay documented (charts/paas/README.md, "RBAC"): it may
    // read Secrets and run pods (through Deployments and Jobs) in every namespace, kube-system included.
    for (const [verb, resource] of [['create', 'jobs.batch'], ['create', 'deployments.apps'], ['get', 'secrets']] as const) {
      assert.equal(await canI(cluster, controller, verb, resource, 'kube-system'), true, `documented gap: the controller may ${verb} ${resource} in kube-system`);
    }
    // What it must not: grant itself more, touch nodes or RBAC, exec into pods or create them directly, anything at all.
    for (const [verb, resource, ns] of [
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'], ['create', 'rolebindings.rbac.authorization.k8s.io', 'kube-system'],
      ['escalate', 'clusterroles.rbac.authorization.k8s.io'], ['bind', 'clusterroles.rbac.authorization.k8s.io'],
      ['patch', 'nodes'], ['create', 'pods/exec', appNamespace], ['create', 'pods', 'kube-system'],
      ['create', 'customresourcedefinitions.apiextensions.k8s.io'], ['impersonate', 'serviceaccounts'], ['*', '*'],
      ['update', 'deployments.apps', appNamespace], ['create', 'persistentvolumes'],
    ] as Array<[string, string, string?]>) {
      assert.equal(await canI(cluster, controller, verb, resource, ns), false, `the controller may not ${verb} ${resource}${ns ? ` in ${ns}` : ''}`);
    }
    // web and gitd read pods and their logs, nothing else.
    assert.equal(await canI(cluster, reader, 'get', 'pods/log', appNamespace), true);
    for (const [verb, resource] of [['get', 'secrets'], ['list', 'secrets'], ['create', 'pods'], ['delete', 'pods'], ['patch', 'deployments.apps'], ['create', 'jobs.batch']]) {
      assert.equal(await canI(cluster, reader, verb!, resource!, appNamespace), false, `the reader may not ${verb} ${resource}`);
    }
    // Nothing binds either ServiceAccount to a role of the cluster's own (cluster-admin, admin, edit).
    const bindings = await kubectl(cluster, ['get', 'clusterrolebindings,rolebindings', '-A', '-o', 'json']);
    const items = (JSON.parse(bindings.stdout) as { items: Array<{ metadata: { name: string }; roleRef: { name: string }; subjects?: Array<{ kind: string; name: string; namespace?: string }> }> }).items;
    const ours = items.filter((b) => b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.namespace === release.namespace));
    assert.deepEqual(ours.map((b) => b.roleRef.name).sort(), [`${release.namespace}-${rel}-controller`, `${release.namespace}-${rel}-reader`]);
  });

  await t.test('a right taken from the chart\'s ClusterRole: the next push fails naming what was refused', async () => {
    const role = structuredClone(rendered.clusterScoped.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-controller'))!);
    const deployments = (role.rules as Array<{ resources: string[]; verbs: string[] }>).find((r) => r.resources.includes('deployments'))!;
    deployments.verbs = deployments.verbs.filter((v) => v !== 'patch');
    await applyObject(kube, role);
    await eventually('RBAC takes the right away', async () => (await canI(cluster, `system:serviceaccount:${release.namespace}:${rel}-controller`, 'patch', 'deployments.apps', appNamespace)) ? undefined : true, 10_000);
    fs.appendFileSync(path.join(repo, 'server.js'), '// v2\n');
    for (const args of [['add', '-A'], ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'v2']]) await run('git', args, { cwd: repo });
    const pushed = await push();
    t.diagnostic(`refused push done at ${elapsed()}`);
    assert.notEqual(pushed.code, 0, pushed.stderr);
    const refused = pushed.stderr.split('\n').filter((l) => l.startsWith('remote:  !     ')).map((l) => l.trimEnd());
    t.diagnostic(refused.join('\n'));
    assert.ok(refused.some((l) => /Release v2 failed: Kubernetes refused to apply Deployment .*\/web: .*cannot patch resource "deployments" in API group "apps".*the chart's ClusterRole/.test(l)), refused.join('\n'));
    // The rollback's apply is refused the same way, and the push says so; v1's objects were never changed, so it serves.
    assert.ok(refused.some((l) => /rolling back to v1 failed too: .*cannot patch resource "deployments"/.test(l)), refused.join('\n'));
    const service = await kube.core.readNamespacedService({ namespace: appNamespace, name: 'web' });
    assert.equal((await get(`http://${service.spec!.clusterIP}:80/`)).body, 'hello from v1', 'the previous release still serves');
  });
});
