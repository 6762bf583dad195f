// test/kubernetes/pipeline.test.ts — every stack through the whole Kubernetes pipeline on the real test cluster
// (scripts/test-cluster.sh): the platform started with PAAS_RUNTIME=kubernetes, a real `git push` each, our builder
// image detecting the stack and writing the Dockerfile, real Kaniko building it FROM the registry's mirror of Docker
// Hub names and pushing it, the Deployment rolling out on the kubelet, and the app answering through its Service.
// (The node stack, and everything after a first push, is test/e2e/push-kubernetes.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { eventually } from '../support/cluster.ts';
import { getService, imageOf, startKubePlatform, type KubePlatform } from '../support/kube-platform.ts';
import { createUser, fixtureRepo, git, httpRemote, remoteLines, tempDir, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput } from '../support/push.ts';

let k: KubePlatform;
let dir: string;
let alice: TestUser;

before(async () => {
  dir = tempDir();
  k = await startKubePlatform();
  alice = await createUser(k.p, 'alice@example.com', dir);
});

after(async () => {
  await k?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Pushes the fixture as a new app over HTTP; returns the push's remote lines once the app answers `expected`. */
async function pushAndServe(app: string, fixture: string, expected: RegExp): Promise<string[]> {
  await createApp(k.p, app, alice.email);
  const repo = await fixtureRepo(fixture, dir);
  const r = await git(repo, alice.sshEnv, 'push', httpRemote(k.p, app, alice.token), 'main');
  assert.equal(r.code, 0, pushOutput(r));
  const lines = remoteLines(r.stderr);
  assert.match(lines.at(-1)!, new RegExp(`^-----> v1 is live at http://${app}\\.localhost/$`));
  assert.equal((await imageOf(k, app))!.replace(/@sha256:[0-9a-f]{64}$/, '@sha256:…'), `${k.registry}/apps/${app}@sha256:…`, 'deployed by digest');
  const body = await eventually(`${app} answering through its Service`, async () => {
    const res = await getService(k, app);
    return res.status === 200 ? res.body : undefined;
  }, 30_000);
  assert.match(body, expected);
  return lines;
}

const has = (lines: string[], match: RegExp) => assert.ok(lines.some((l) => match.test(l)), `no line matching ${match}:\n${lines.join('\n')}`);

test('python (a requirements.txt with nothing to fetch) builds FROM python:3.12-slim and answers', async () => {
  const lines = await pushAndServe('py', 'python', /^Hello from python\n$/);
  has(lines, /^-----> Python app detected$/);
  has(lines, /^ {7}INFO\[\d+\] Retrieving image manifest python:3\.12-slim$/);
});

test('a build runs in the build namespace; its token is a Secret owned by its Job and deleted when the build ends', async () => {
  // After the python push above: its build Job stays in the build namespace (for its logs, until its TTL), and no
  // token Secret of the build is left there, in the platform's namespace or in the app's.
  const kube = k.cluster.kube;
  const jobs = (await kube.batch.listNamespacedJob({ namespace: k.buildNamespace })).items.map((j) => j.metadata?.name);
  assert.ok(jobs.includes('build-py-1'), `the build Job in ${k.buildNamespace}: ${jobs.join(', ')}`);
  for (const namespace of [k.buildNamespace, k.appNamespace('py')]) {
    const secrets = (await kube.core.listNamespacedSecret({ namespace })).items.map((x) => x.metadata?.name ?? '');
    assert.deepEqual(secrets.filter((n) => n.includes('token') && n.startsWith('build-')), [], `no build token Secret left in ${namespace}`);
  }
});

test('static builds FROM node:20-alpine with the platform\'s static server and serves index.html', async () => {
  const lines = await pushAndServe('site', 'static', /<html/i);
  has(lines, /^-----> Static HTML app detected$/);
});

test('a Procfile app (FROM debian:bookworm-slim) runs its release phase as a Job, streamed into the push, then serves', async () => {
  const lines = await pushAndServe('perl', 'procfile-perl', /^Hello from perl, release v1\n$/);
  has(lines, /^-----> Running release command: echo /);
  has(lines, /^ {7}release phase: migrating \(perl 5\.\d+\)$/);
});

test('an app\'s own Dockerfile (FROM a mirrored name, numeric USER) is built as it is', async () => {
  const lines = await pushAndServe('own', 'dockerfile', /^Hello from dockerfile\n$/);
  has(lines, /^ {7}INFO\[\d+\] Retrieving image manifest node:20-alpine$/);
  assert.ok(!lines.some((l) => /USER|non-root/.test(l) && l.startsWith(' !')), 'no non-root warning for USER 1000:1000');
});
