// test/e2e/push-kubernetes.test.ts — the platform started as a user would with PAAS_RUNTIME=kubernetes and a
// kubeconfig pointing at the stand-in API server: a real `git push` builds in a build Job whose builder (the real
// builders/entrypoint.ts, run by the test in the pod's place) fetches the pushed source from gitd with its build
// token; the push prints every step, deploys by digest, and ps, logs, manifests and apps:destroy read the cluster.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { runBuilder } from '../../builders/entrypoint.ts';
import { typeOfKind } from '../support/kube-stand-in/resources.ts';
import { startStandIn, type StandIn } from '../support/kube-stand-in/server.ts';
import { digestOf } from '../support/kubernetes.ts';
import { createUser, fixtureRepo, git, httpRemote, remoteLines, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { commitAll, createApp, pushOutput, revOf, stopPlatform } from '../support/push.ts';
import { withoutIds } from '../support/first-line.ts';

const NS = 'paas-app-hello';
let standIn: StandIn;
let p: Platform;
let dir: string;
let alice: TestUser;
let builds = 0;

before(async () => {
  dir = tempDir();
  standIn = await startStandIn();
  standIn.store.create(typeOfKind('v1', 'Namespace')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paas' } });
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  fs.writeFileSync(kubeconfig, standIn.kubeconfigYaml(), { mode: 0o600 });
  p = await startPlatform({ env: { PAAS_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig, PAAS_GITD_URL: 'http://gitd.invalid', PAAS_REGISTRY: 'registry.test:5000' } });
  alice = await createUser(p, 'alice@example.com', dir);
  standIn.sim.jobScript = async (run) => {
    // The build pod, played by the test: the real builder entrypoint, then Kaniko reporting a digest.
    type Spec = { initContainers: Array<{ env: Array<{ name: string; value: string }> }>; volumes: Array<{ name: string; projected?: { sources: Array<{ secret: { name: string } }> } }> };
    const spec = (run.job.spec as { template: { spec: Spec } }).template.spec;
    const env = Object.fromEntries(spec.initContainers[0]!.env.map((e) => [e.name, e.value]));
    const workspace = fs.mkdtempSync(path.join(dir, 'workspace-'));
    const termination = path.join(workspace, '..', `${path.basename(workspace)}.termination`);
    // The kubelet's part: the projected token Secret (in the build namespace) as a file.
    const secretName = spec.volumes.find((v) => v.name === 'build-token')!.projected!.sources[0]!.secret.name;
    const secret = standIn.store.find(typeOfKind('v1', 'Secret')!, run.job.metadata.namespace, secretName)!;
    const tokenFile = `${workspace}.token`;
    fs.writeFileSync(tokenFile, Buffer.from((secret.data as { token: string }).token, 'base64'), { mode: 0o400 });
    run.start('builder');
    const code = await runBuilder({
      ...env, PAAS_SOURCE_URL: env.PAAS_SOURCE_URL!.replace('http://gitd.invalid', `http://127.0.0.1:${p.httpPort}`),
      PAAS_BUILD_TOKEN_FILE: tokenFile, PAAS_WORKSPACE: workspace, PAAS_TERMINATION_LOG: termination,
    }, (line) => run.log('builder', line));
    run.exit('builder', code, fs.readFileSync(termination, 'utf8'));
    if (code !== 0) return;
    run.start('kaniko');
    run.log('kaniko', `INFO Built cross stage deps from ${fs.existsSync(path.join(workspace, 'Dockerfile')) ? 'Dockerfile' : 'nothing'}`);
    run.exit('kaniko', 0, digestOf(++builds));
  };
});

after(async () => {
  await stopPlatform(p, dir);
  await standIn.close();
});

test('git push builds in a Job (source fetched from gitd with the build token), deploys by digest and prints every step', async () => {
  await createApp(p, 'hello', alice.email);
  const repo = await fixtureRepo('node', dir);
  const rev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'hello', alice.token), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const buildId = /Fetching source for hello \(build ([0-9a-f-]{36})\)/.exec(push.stderr)?.[1];
  const lines = remoteLines(push.stderr).filter((l) => !l.startsWith('       Waiting for deployment'));
  assert.deepEqual(lines.map((l) => withoutIds(l).replace(/Received [\d.]+ \w+/, 'Received <size>')), [
    `-----> Building hello (build 1) from main at ${rev.slice(0, 7)}`,
    `-----> Fetching source for hello (build ${buildId})`,
    '       Received <size>',
    '-----> Node.js app detected',
    '-----> Writing Dockerfile for Node.js',
    '-----> Discovering process types',
    '       Default types for Node.js -> web',
    '-----> Building the image with Kaniko',
    '       INFO Built cross stage deps from Dockerfile',
    `       Pushed registry.test:5000/hello@${digestOf(1)}`,
    '-----> Build 1 succeeded',
    '-----> Releasing v1',
    `-----> Applying v1 to namespace ${NS}`,
    '-----> Waiting for web to roll out (v1)',
    '       deployment "web" successfully rolled out',
    '-----> v1 is live at http://hello.localhost/',
  ]);
  const web = standIn.find('apps/v1', 'Deployment', NS, 'web')!;
  assert.match(JSON.stringify(web.spec), new RegExp(`registry.test:5000/hello@${digestOf(1)}`));
});

test('ps, logs and manifests read the cluster', async () => {
  const ps = await p.cli(['ps', 'hello']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^=== hello processes \(v1\)\nweb\.1\s+up\s+v1\s+pod web-\w+-\w+\s+restarts 0\s+since \d+s ago\n$/);
  const pod = standIn.list('v1', 'Pod', NS)[0]!.metadata.name;
  standIn.logs.append(NS, pod, 'web', 'node app listening on port 5000');
  const logs = await p.cli(['logs', 'hello']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^\S+ app\[web\.\w+\]: node app listening on port 5000\n$/);
  const manifests = await p.cli(['manifests', 'hello']);
  assert.equal(manifests.code, 0, manifests.stderr);
  const docs = YAML.parseAllDocuments(manifests.stdout).map((d) => d.toJS() as { kind: string; spec?: unknown } | null).filter((d) => d !== null);
  assert.deepEqual(docs.map((d) => d!.kind), ['Namespace', 'Secret', 'ConfigMap', 'Deployment', 'Service', 'Ingress']);
  assert.deepEqual(docs[3]!.spec, standIn.find('apps/v1', 'Deployment', NS, 'web')!.spec, 'exactly what was applied');
});

test('a release that crash-loops fails the push, rolls back to v1, and the ref does not move', async () => {
  standIn.sim.deploymentBehaviour = (dep) => (JSON.stringify(dep.spec).includes(digestOf(2))
    ? { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container', logs: ['TypeError: boom'] }
    : { kind: 'ready' });
  const repo = await fixtureRepo('node', dir);
  await git(repo, process.env, 'remote', 'add', 'paas', httpRemote(p, 'hello', alice.token));
  await git(repo, alice.sshEnv, 'fetch', 'paas');
  await git(repo, process.env, 'reset', '--hard', 'paas/main');
  fs.appendFileSync(path.join(repo, 'server.js'), '\n// v2\n');
  await commitAll(repo, 'v2');
  const push = await git(repo, alice.sshEnv, 'push', 'paas', 'main');
  assert.notEqual(push.code, 0, pushOutput(push));
  const lines = remoteLines(push.stderr);
  assert.ok(lines.includes('       TypeError: boom'), lines.join('\n'));
  assert.ok(lines.some((l) => /^ !     Release v2 failed: web-\w+-\w+ \(web\): CrashLoopBackOff \(back-off 10s restarting failed container\); rolled back to v1$/.test(l)), lines.join('\n'));
  const refs = await git(repo, alice.sshEnv, 'ls-remote', 'paas', 'refs/heads/main');
  assert.equal(refs.stdout.split('\t')[0], await revOf(repo, 'paas/main'), 'the ref stays at v1');
  assert.match(JSON.stringify(standIn.find('apps/v1', 'Deployment', NS, 'web')!.spec), new RegExp(digestOf(1)));
});

test('apps:destroy deletes everything of the app from the cluster', async () => {
  const destroyed = await p.cli(['apps:destroy', 'hello', '--confirm', 'hello']);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  const deadline = Date.now() + 10_000;
  while (standIn.find('v1', 'Namespace', undefined, NS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await standIn.sim.settle();
  assert.equal(standIn.find('v1', 'Namespace', undefined, NS), undefined);
  for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['v1', 'Pod'], ['batch/v1', 'Job'], ['v1', 'Secret']] as const) {
    assert.deepEqual(standIn.list(apiVersion, kind, undefined, 'app.kubernetes.io/instance=hello'), [], kind);
  }
});
