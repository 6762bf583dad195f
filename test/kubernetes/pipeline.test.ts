// test/kubernetes/pipeline.test.ts — the controller in Kubernetes mode (PAAS_RUNTIME=kubernetes, a kubeconfig file
// pointing at the stand-in API server) driven through its events with a real database: the same builder and
// deployer as the embedded mode, with the Kubernetes drivers. Asserts the push output lines as git would relay them.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { Knex } from 'knex';
import { MemoryBus } from '../../core/bus.ts';
import { openDb } from '../../core/db/connect.ts';
import { checkBuildToken } from '../../core/build-tokens.ts';
import { subjectOf } from '../../core/events.ts';
import { createLogger } from '../../core/logger.ts';
import { enqueueEvent, OutboxRelay } from '../../core/outbox.ts';
import { destroyApp } from '../../services/apps.ts';
import { runCommand } from '../../cli/commands.ts';
import { startController } from '../../controller/controller.ts';
import { selectReader } from '../../runtime/select.ts';
import { scaleApp } from '../../services/formation.ts';
import { setConfig, waitForRelease } from '../../services/releases.ts';
import type { KObject } from '../support/kube-stand-in/store.ts';
import { waitFor as waitUntil } from '../support/wait.ts';
import { digestOf, scriptBuilds, scriptReleases, startKubeWorld, type KubeWorld } from '../support/kubernetes.ts';
import { dropSchema } from '../support/test-schema.ts';
import { withoutIds } from '../support/first-line.ts';

const NS = 'paas-app-shop';
const operator = { kind: 'operator' as const };

interface Pipeline extends KubeWorld { db: Knex; bus: MemoryBus; dataDir: string }

async function startPipeline(t: TestContext, env: NodeJS.ProcessEnv = {}): Promise<Pipeline | undefined> {
  const url = process.env.DATABASE_URL;
  if (!url) { t.skip('DATABASE_URL is not set (.ci/run sets it to the machine PostgreSQL)'); return undefined; }
  // One cleanup, registered first so it runs first (node:test runs after-hooks in order): the controller stops
  // before its database goes.
  const closers: Array<() => unknown> = [];
  t.after(async () => { for (const close of closers.reverse()) await close(); });
  const schema = `kube_${crypto.randomBytes(4).toString('hex')}`;
  const db = await openDb(url, schema);
  closers.push(async () => { await db.destroy(); await dropSchema(url, schema); });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-kube-'));
  closers.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const kubeconfig = path.join(dataDir, 'kubeconfig.yaml');
  const world = await startKubeWorld(t, { PAAS_DATA_DIR: dataDir, KUBECONFIG: kubeconfig, ...env });
  fs.writeFileSync(kubeconfig, world.standIn.kubeconfigYaml(), { mode: 0o600 });
  const log = createLogger('silent');
  const bus = new MemoryBus(log);
  const controller = await startController(db, bus, world.config, log);
  closers.push(() => controller.stop());
  const relay = new OutboxRelay(db, bus, log);
  await relay.start();
  closers.push(() => relay.stop());
  const [user] = await db('users').insert({ email: 'owner@example.com', password_hash: 'x', is_admin: true }).returning('id');
  await db('apps').insert({ name: 'shop', owner_id: (user as { id: number }).id });
  return { ...world, db, bus, dataDir };
}

/** Sends a push the way gitd does and collects the build's lines until its outcome; returns them and the exit code. */
async function push(p: Pipeline, rev = crypto.randomBytes(20).toString('hex')): Promise<{ lines: string[]; code: number; buildId: string; archivePath: string }> {
  const buildId = crypto.randomUUID();
  const archivePath = path.join(p.dataDir, 'archives', `${buildId}.tar`);
  fs.mkdirSync(path.dirname(archivePath), { recursive: true });
  // A real tar, as gitd makes (the controller reads app.json from it before the builder pod fetches it).
  const tree = fs.mkdtempSync(path.join(p.dataDir, 'tree-'));
  fs.writeFileSync(path.join(tree, 'Procfile'), 'web: node server.js\n');
  execFileSync('tar', ['-cf', archivePath, '-C', tree, '.']);
  fs.rmSync(tree, { recursive: true, force: true });
  const lines: string[] = [];
  const outcome = new Promise<number>((resolve) => {
    const subs = [
      p.bus.subscribe(subjectOf('buildLog', buildId), (_s, e) => { lines.push(String(e.line)); }),
      p.bus.subscribe(subjectOf('buildStatus', buildId), (_s, e) => { if (e.status === 'failed') { subs.forEach((u) => u()); resolve(1); } }),
      p.bus.subscribe('paas.deploy.*.status', (_s, e) => {
        if (e.buildId !== buildId || (e.status !== 'succeeded' && e.status !== 'failed')) return;
        subs.forEach((u) => u());
        resolve(e.status === 'succeeded' ? 0 : 1);
      }),
    ];
  });
  await enqueueEvent(p.db, 'pushReceived', { buildId, app: 'shop', ref: 'refs/heads/main', oldRev: '0'.repeat(40), newRev: rev, userId: 1, archivePath });
  const code = await outcome;
  await new Promise((r) => setImmediate(r)); // the last log line is published before the outcome; let it land
  return { lines, code, buildId, archivePath };
}

/** Lines without kubectl's intermediate "Waiting for…" progress, whose number depends on timing. */
/** The push's lines without the rollout's progress, and the first line without its build and trace ids. */
const settled = (lines: string[]) => lines.filter((l) => !l.startsWith('       Waiting for deployment')).map(withoutIds);

test('a push builds in a Job, streams both containers, deploys the image by digest and waits for the rollout', async (t) => {
  const p = await startPipeline(t);
  if (!p) return;
  let jobEnv: Record<string, string> = {};
  scriptBuilds(p.standIn, (run) => {
    const spec = (run.job.spec as { template: { spec: { initContainers: Array<{ env: Array<{ name: string; value: string }> }> } } }).template.spec;
    jobEnv = Object.fromEntries(spec.initContainers[0]!.env.map((e) => [e.name, e.value]));
    return { digest: digestOf(7) };
  });
  const r = await push(p, 'abc1234'.padEnd(40, '0'));
  assert.equal(r.code, 0, r.lines.join('\n'));
  const image = `registry.test:5000/shop@${digestOf(7)}`;
  assert.deepEqual(settled(r.lines), [
    '-----> Building shop (build 1) from main at abc1234',
    '-----> Node.js app detected',
    '-----> Writing Dockerfile for Node.js',
    '-----> Building the image with Kaniko',
    '       INFO Retrieving image manifest node:20-alpine',
    '       INFO Pushing image',
    `       Pushed ${image}`,
    '-----> Build 1 succeeded',
    '-----> Releasing v1',
    `-----> Applying v1 to namespace ${NS}`,
    '-----> Waiting for web to roll out (v1)',
    '       deployment "web" successfully rolled out',
    '-----> v1 is live at http://shop.apps.test/',
  ]);
  const build = await p.db('builds').where({ id: r.buildId }).first();
  assert.equal(build.image, image);
  assert.equal(jobEnv.PAAS_SOURCE_URL, `http://paas-web.paas.svc:5000/internal/builds/${r.buildId}/source.tar`);
  assert.equal(jobEnv.PAAS_BUILD_TOKEN, undefined, 'the token is a mounted file, not a variable');
  assert.equal(fs.existsSync(r.archivePath), false, 'the archive goes once the build is over');
  const web = p.standIn.find('apps/v1', 'Deployment', NS, 'web')!;
  assert.match(JSON.stringify(web.spec), new RegExp(image.replace(/[.@:]/g, '\\$&')));
});

test('a build runs in the build namespace; its token is a Secret owned by its Job and deleted when the build ends; Kaniko gets a copy of the push Secret, app namespaces one of the pull Secret', async (t) => {
  const p = await startPipeline(t, { PAAS_REGISTRY_SECRET: 'push-creds', PAAS_REGISTRY_PULL_SECRET: 'pull-creds' });
  if (!p) return;
  const dockerconfig = Buffer.from('{"auths":{"registry.test:5000":{"auth":"cHVzaDpwdw=="}}}').toString('base64');
  const pullconfig = Buffer.from('{"auths":{"registry.test:5000":{"auth":"cHVsbDpwdw=="}}}').toString('base64');
  await p.kube.core.createNamespacedSecret({ namespace: 'paas', body: { metadata: { name: 'push-creds' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerconfig } } });
  await p.kube.core.createNamespacedSecret({ namespace: 'paas', body: { metadata: { name: 'pull-creds' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': pullconfig } } });
  scriptBuilds(p.standIn, () => ({ digest: digestOf(7) }));
  const scripted = p.standIn.sim.jobScript;
  let seen: { job: KObject; secret: KObject } | undefined;
  p.standIn.sim.jobScript = async (run) => {
    const volumes = (run.job.spec as { template: { spec: { volumes: Array<{ name: string; projected?: { sources: Array<{ secret: { name: string } }> } }> } } }).template.spec.volumes;
    const name = volumes.find((v) => v.name === 'build-token')!.projected!.sources[0]!.secret.name;
    // The pod's kubelet would mount the Secret as it is; the test waits until the controller made the Job its owner.
    const secret = await waitUntil(() => {
      const found = p.standIn.find('v1', 'Secret', 'paas-builds', name);
      return found?.metadata.ownerReferences ? found : undefined;
    }, 5_000, 'the token Secret owned by its Job');
    seen = { job: run.job, secret };
    return scripted(run);
  };
  const r = await push(p);
  assert.equal(r.code, 0, r.lines.join('\n'));
  const { job, secret } = seen!;
  assert.equal(job.metadata.namespace, 'paas-builds');
  assert.deepEqual(secret.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: false }]);
  const token = Buffer.from((secret.data as { token: string }).token, 'base64').toString();
  assert.ok(await checkBuildToken(p.db, r.buildId, token), 'the Secret holds a working build token');
  assert.doesNotMatch(JSON.stringify(job), new RegExp(token), 'the token is nowhere in the Job');
  await waitFor(() => !p.standIn.find('v1', 'Secret', 'paas-builds', secret.metadata.name));
  const ns = p.standIn.find('v1', 'Namespace', undefined, 'paas-builds')!;
  assert.equal((ns.metadata.labels as Record<string, string>)['paas.dev/tenant'], 'build');
  const copy = p.standIn.find('v1', 'Secret', 'paas-builds', 'registry-push')!;
  assert.deepEqual(copy.data, { '.dockerconfigjson': dockerconfig });
  assert.equal(p.standIn.list('batch/v1', 'Job', 'paas').length, 0, 'nothing runs in the platform namespace');
  // Nodes pull app images with the pull-only credential: the push credential never reaches an app's namespace.
  assert.deepEqual(p.standIn.find('v1', 'Secret', NS, 'registry-pull')!.data, { '.dockerconfigjson': pullconfig });
});

test('a failed build shows the last Kaniko lines and fails the push; nothing is applied', async (t) => {
  const p = await startPipeline(t);
  if (!p) return;
  scriptBuilds(p.standIn, () => ({ kanikoLines: ['INFO Unpacking rootfs', 'INFO RUN npm ci', 'npm ERR! missing script: build', 'error building image: exit status 1'], kanikoExit: 1 }));
  const r = await push(p);
  assert.equal(r.code, 1);
  assert.deepEqual(r.lines.slice(-8), [
    '       npm ERR! missing script: build',
    '       error building image: exit status 1',
    ' !     Kaniko failed (exit code 1); its last lines:',
    ' !       INFO Unpacking rootfs',
    ' !       INFO RUN npm ci',
    ' !       npm ERR! missing script: build',
    ' !       error building image: exit status 1',
    ' !     Push rejected: the build failed, nothing was deployed',
  ]);
  assert.equal((await p.db('builds').where({ id: r.buildId }).first()).status, 'failed');
  assert.deepEqual(p.standIn.list('apps/v1', 'Deployment', NS), []);
});

test('a builder failure is reported once, from its termination message', async (t) => {
  const p = await startPipeline(t);
  if (!p) return;
  const why = 'No supported app detected. Looked for: Dockerfile, package.json';
  scriptBuilds(p.standIn, () => ({
    builderLines: ['-----> Fetching source for shop', ` !     ${why}`], builderExit: 1,
    builderMessage: JSON.stringify({ error: { code: 'E_RUNTIME_UNKNOWN', message: why } }),
  }));
  const r = await push(p);
  assert.equal(r.code, 1);
  assert.deepEqual(r.lines.slice(1), ['-----> Fetching source for shop', ` !     ${why}`, ' !     Push rejected: the build failed, nothing was deployed']);
});

test('a failed rollout rolls back to the previous release and says so in the push', async (t) => {
  const p = await startPipeline(t);
  if (!p) return;
  let n = 0;
  scriptBuilds(p.standIn, () => ({ digest: digestOf(++n) }));
  assert.equal((await push(p)).code, 0);
  p.standIn.sim.deploymentBehaviour = (dep) => (JSON.stringify(dep.spec).includes(digestOf(2))
    ? { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container', logs: ['Error: listen EADDRINUSE'] }
    : { kind: 'ready' });
  const r = await push(p);
  assert.equal(r.code, 1, r.lines.join('\n'));
  const tail = settled(r.lines).slice(-5);
  assert.deepEqual(tail.slice(0, 2), ['-----> Rolling back to v1', '-----> Waiting for web to roll out (v1)']);
  assert.equal(tail[3], '       Error: listen EADDRINUSE');
  assert.match(tail[4]!, /^ !     Release v2 failed: web-\w+-\w+ \(web\): CrashLoopBackOff \(back-off 10s restarting failed container\); rolled back to v1$/);
  const app = await p.db('apps').where({ name: 'shop' }).first();
  assert.equal((await p.db('releases').where({ id: app.current_release_id }).first()).version, 1);
  assert.match(JSON.stringify(p.standIn.find('apps/v1', 'Deployment', NS, 'web')!.spec), new RegExp(digestOf(1)));
});

test('a failing release phase stops the deploy before any Deployment changes', async (t) => {
  const p = await startPipeline(t);
  if (!p) return;
  scriptBuilds(p.standIn, () => ({ builderMessage: JSON.stringify({ stack: 'node', processTypes: { web: 'npm start', release: 'npm run migrate' }, dockerfile: 'Dockerfile' }) }));
  scriptReleases(p.standIn, () => ({ lines: ['> migrate', 'error: connection refused'], exitCode: 1 }));
  const r = await push(p);
  assert.equal(r.code, 1);
  assert.deepEqual(r.lines.slice(-6), [
    '-----> Releasing v1',
    '-----> Running release command: npm run migrate',
    '       > migrate',
    '       error: connection refused',
    ' !     Release v1 failed: release command failed (exit 1)',
    ' !     The app has no running release',
  ]);
  assert.deepEqual(p.standIn.list('apps/v1', 'Deployment', NS), []);
});

test('config:set rolls the pods, ps:scale patches replicas, manifests prints what is applied, apps:destroy deletes it all', async (t) => {
  const p = await startPipeline(t);
  if (!p) return;
  scriptBuilds(p.standIn, () => ({}));
  assert.equal((await push(p)).code, 0);
  const hash = () => (p.standIn.find('apps/v1', 'Deployment', NS, 'web')!.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['paas.dev/config-hash'];
  const before = hash();
  const release = await setConfig(p.db, operator, 'shop', ['GREETING=bonjour']);
  assert.equal((await waitForRelease(p.db, release!.id, 20_000)).status, 'succeeded');
  assert.notEqual(hash(), before);
  await scaleApp(p.db, operator, 'shop', { web: 3 });
  await waitFor(() => (p.standIn.find('apps/v1', 'Deployment', NS, 'web')!.spec as { replicas: number }).replicas === 3);
  const out: string[] = [];
  const ctx = { db: p.db, config: p.config, actor: operator, reader: await selectReader(p.config, p.db, p.bus), out: (l: string) => out.push(l), err: (l: string) => out.push(l), readStdin: async () => '', signal: new AbortController().signal };
  assert.equal(await runCommand(ctx, ['manifests', 'shop'], true, 'paas', createLogger('silent')), 0, out.join('\n'));
  const docs = YAML.parseAllDocuments(out.join('\n')).map((d) => d.toJS() as { kind: string; metadata: { name: string } }).filter(Boolean);
  assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['Namespace/paas-app-shop', 'Secret/config-vars', 'ConfigMap/platform', 'Deployment/web', 'Service/web', 'Ingress/web']);
  const liveWeb = p.standIn.find('apps/v1', 'Deployment', NS, 'web')!;
  assert.deepEqual((docs[3] as unknown as { spec: unknown }).spec, { ...(liveWeb.spec as object) }, 'manifests prints exactly what is applied');
  await destroyApp(p.db, operator, 'shop', 'shop');
  await waitFor(() => !p.standIn.find('v1', 'Namespace', undefined, NS));
  await p.standIn.sim.settle();
  assert.deepEqual(p.standIn.list('v1', 'Pod', undefined, 'app.kubernetes.io/instance=shop'), []);
  assert.deepEqual(p.standIn.list('batch/v1', 'Job', undefined, 'app.kubernetes.io/instance=shop'), [], 'build Jobs too');
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
