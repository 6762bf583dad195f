// test/e2e/push-kubernetes.test.ts — the platform started as a user would with PAAS_RUNTIME=kubernetes against the
// real test cluster (scripts/test-cluster.sh): real `git push`es over SSH (OpenSSH) run the real builder Job (our
// builder image fetching the source from gitd, then Kaniko 1.9.2 building from the registry's mirror and pushing
// to it), the Deployment rolls out on the real kubelet and the app answers through its Service. One node app with a
// dependency is walked through its life: first push, a repeat with unchanged dependencies (Kaniko's layer cache),
// a failing build, a release that crashes on boot, one that never becomes ready, a failing release phase, config:set,
// rollback, ps:scale, ps and logs -t from the kubelet, apps:destroy. Each Kaniko build costs tens of seconds here,
// so the steps share one app and run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from '../support/cluster.ts';
import { deploymentOf, getService, imageOf, startKubePlatform, type KubePlatform } from '../support/kube-platform.ts';
import { createUser, fixtureRepo, git, remoteLines, ROOT, sshRemote, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { commitAll, createApp, livePush, pushOutput, remoteRefs, type TimedLine } from '../support/push.ts';

const APP = 'shop';
let k: KubePlatform;
let p: Platform;
let dir: string;
let repo: string;
let alice: TestUser;
/** The image (by digest) of each good release, by code mark. */
const images: Record<string, string> = {};

before(async () => {
  dir = tempDir();
  // A short boot timeout: the never-ready release fails after it (its old pods serve meanwhile).
  k = await startKubePlatform({ PAAS_BOOT_TIMEOUT_MS: '20000' });
  p = k.p;
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, APP, alice.email);
  repo = await fixtureRepo('node-deps', dir);
  await git(repo, process.env, 'remote', 'add', 'paas', sshRemote(p, APP));
});

after(async () => {
  await k?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Pushed { code: number; remote: string[]; timed: TimedLine[]; exitAt: number; stderr: string }

/** Pushes main with the real OpenSSH client, recording when each line arrived. */
async function push(): Promise<Pushed> {
  const live = livePush(repo, alice.sshEnv, 'push', 'paas', 'main');
  const r = await live.done;
  const timed = live.lines.filter((l) => l.line.startsWith('remote:')).map((l) => ({ ...l, line: l.line.replace(/^remote: ?/, '').trimEnd() }));
  return { code: r.code, remote: remoteLines(r.stderr), timed, exitAt: r.at, stderr: pushOutput(r) };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const at = (pushed: Pushed, match: RegExp): number => {
  const found = pushed.timed.find((l) => match.test(l.line));
  assert.ok(found, `no line matching ${match}:\n${pushed.remote.join('\n')}`);
  return found.at;
};

/** The body the app serves through its Service, once it serves `expected` (a rollout settles its Endpoints). */
const serves = (expected: RegExp) => eventually(`the Service answering ${expected}`, async () => {
  const r = await getService(k, APP);
  return r.status === 200 && expected.test(r.body) ? r.body : undefined;
}, 30_000);

/**
 * After a push that must not deploy: v2 still answers through the Service (with its image still the Deployment's,
 * when `sameImage`), and the failing commit is taken back so the next case starts from v2's tree.
 */
async function stillServesV2(sameImage: boolean): Promise<void> {
  if (sameImage) assert.equal(await imageOf(k, APP), images.B);
  assert.match(await serves(/code B/), /^release v2, code B/);
  await git(repo, process.env, 'reset', '-q', '--hard', 'HEAD~1');
}

async function edit(file: string, content: string, message: string): Promise<void> {
  fs.writeFileSync(path.join(repo, file), content);
  await commitAll(repo, message);
}

test('a first push builds with the real builder and Kaniko, rolls out on the kubelet and answers through its Service; every stage is streamed live', async () => {
  const r = await push();
  assert.equal(r.code, 0, r.stderr);
  // The builder's steps, then Kaniko's own output (its colours stripped), then the rollout, in that order.
  const detected = at(r, /^-----> Node\.js app detected$/);
  const kaniko = at(r, /^-----> Building the image with Kaniko$/);
  const unpacked = at(r, /^ {7}INFO\[\d+\] (Retrieving image manifest|Unpacking rootfs)/);
  const installed = at(r, /^ {7}greet: prepared [0-9a-f]{12}$/); // npm ci's postinstall, run by Kaniko's RUN
  const pushedAt = at(r, new RegExp(`^ {7}Pushed ${escape(k.registry)}/apps/shop@sha256:[0-9a-f]{64}$`));
  const rolling = at(r, /^ {7}Waiting for deployment "web" rollout to finish/);
  const live = at(r, /^-----> v1 is live at /);
  assert.ok(detected <= kaniko && kaniko <= unpacked && unpacked <= installed && installed <= pushedAt && pushedAt <= rolling && rolling <= live, r.remote.join('\n'));
  // Live: Kaniko's first lines reached git well before its image was pushed, and the rollout's before git exited.
  assert.ok(pushedAt - unpacked > 2000, `Kaniko's output arrived in one piece (${unpacked} → ${pushedAt} ms)`);
  assert.ok(r.exitAt - rolling > 1000, `the rollout's progress arrived at the end (${rolling} → ${r.exitAt} ms)`);
  assert.equal(r.remote.filter((l) => l.includes('\u001b')).length, 0, 'no terminal escapes in the push');
  assert.match(await serves(/code A/), /^release v1, code A, greeting \(unset\)\n$/);
  images.A = (await imageOf(k, APP))!;
  assert.match(images.A, new RegExp(`^${escape(k.registry)}/apps/shop@sha256:[0-9a-f]{64}$`), 'deployed by digest');
});

test('a repeat push with unchanged package.json and lock reuses Kaniko\'s cached layers (npm ci does not run again)', async () => {
  await edit('mark.txt', 'B\n', 'code B');
  const r = await push();
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.remote.some((l) => /Using caching version of cmd: RUN npm ci/.test(l)), r.remote.join('\n'));
  assert.ok(!r.remote.some((l) => /greet: prepared/.test(l)), 'the install step did not run again');
  assert.match(await serves(/code B/), /^release v2, code B, greeting \(unset\)\n$/);
  images.B = (await imageOf(k, APP))!;
  assert.notEqual(images.B, images.A);
});

test('a failing build fails the push with a ` !     ` summary; the previous release keeps serving', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  pkg.scripts.build = 'node -e "console.log(\'compiling... error: on purpose\'); process.exit(1)"';
  const before = await remoteRefs(repo, alice.sshEnv, 'paas');
  await edit('package.json', `${JSON.stringify(pkg, null, 2)}\n`, 'a build that fails');
  const r = await push();
  assert.notEqual(r.code, 0, r.stderr);
  assert.ok(r.remote.includes('       compiling... error: on purpose'), r.remote.join('\n'));
  assert.ok(r.remote.some((l) => /^ !     Kaniko failed \(exit code 1\); its last lines:$/.test(l)), r.remote.join('\n'));
  assert.equal(r.remote.at(-1), ' !     Push rejected: the build failed, nothing was deployed');
  assert.deepEqual(await remoteRefs(repo, alice.sshEnv, 'paas'), before, 'the ref did not move');
  await stillServesV2(true);
});

test('a release that crashes on boot is rolled back; the push says so and the old pods keep serving', async () => {
  await edit('server.js', "console.error('Error: this release fails to boot on purpose');\nprocess.exit(1);\n", 'crash on boot');
  const r = await push();
  assert.notEqual(r.code, 0, r.stderr);
  assert.ok(r.remote.includes('       Error: this release fails to boot on purpose'), r.remote.join('\n'));
  assert.ok(r.remote.some((l) => /^ !     Release v3 failed: web-\w+-\w+ \(web\): (CrashLoopBackOff|Error)\b.*; rolled back to v2$/.test(l)), r.remote.join('\n'));
  await stillServesV2(true);
});

test('a release that runs but never becomes ready is rolled back after the boot timeout; the old pods keep serving', async () => {
  // Alive, but listening on another port than $PORT: the readiness probe never passes.
  await edit('server.js', "require('node:http').createServer((q, s) => s.end('wrong port\\n')).listen(5999, () => console.log('listening on 5999, not $PORT'));\n", 'never ready');
  const r = await push();
  assert.notEqual(r.code, 0, r.stderr);
  assert.ok(r.remote.some((l) => /^ !     Release v4 failed: web-\w+-\w+ \(web\): Unready \(readiness probe failed for \d+s: nothing answered on the web port\); rolled back to v2$/.test(l)), r.remote.join('\n'));
  await stillServesV2(true);
});

test('a failing release phase (Procfile release:) stops the deploy before any Deployment changes', async () => {
  await edit('Procfile', 'web: npm start\nrelease: echo "migrating..." && exit 3\n', 'a release phase that fails');
  const generation = (await deploymentOf(k, APP))!.metadata!.generation;
  const r = await push();
  assert.notEqual(r.code, 0, r.stderr);
  const tail = r.remote.slice(-4);
  assert.deepEqual(tail, ['-----> Running release command: echo "migrating..." && exit 3', '       migrating...', ' !     Release v5 failed: release command failed (exit 3)', ' !     v2 is still serving'], r.remote.join('\n'));
  assert.equal((await deploymentOf(k, APP))!.metadata!.generation, generation, 'the Deployment was not touched');
  await stillServesV2(false);
});

test('config:set changes the Secret and rolls the pods; the new value is served', async () => {
  const set = await p.cli(['config:set', APP, 'GREETING=hola']);
  assert.equal(set.code, 0, set.stderr);
  const secret = await k.cluster.kube.core.readNamespacedSecret({ namespace: k.appNamespace(APP), name: 'config-vars' });
  assert.equal(Buffer.from(secret.data!.GREETING!, 'base64').toString(), 'hola');
  assert.match(await serves(/hola/), /^release v6, code B, greeting hola\n$/);
  assert.equal(await imageOf(k, APP), images.B, 'same image, new pods');
});

test('rollback to v1 restores both its image digest and its config', async () => {
  const r = await p.cli(['rollback', APP, 'v1']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await imageOf(k, APP), images.A);
  assert.match(await serves(/code A/), /^release v7, code A, greeting \(unset\)\n$/);
  const secret = await k.cluster.kube.core.readNamespacedSecret({ namespace: k.appNamespace(APP), name: 'config-vars' });
  assert.equal(secret.data?.GREETING, undefined);
});

test('ps:scale, then ps and logs -t read the pods and their output from the real kubelet', async () => {
  const scaled = await p.cli(['ps:scale', APP, 'web=2']);
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  const ps = await eventually('two web pods up in ps', async () => {
    const r = await p.cli(['ps', APP]);
    return (r.stdout.match(/^web\.\d+\s+up\s+v7\s+pod web-\w+-\w+\s+restarts 0\s+since \d+\w? ago$/gm) ?? []).length === 2 ? r.stdout : undefined;
  }, 90_000);
  assert.match(ps, /^=== shop processes \(v7\)\n/);
  // logs -t follows every pod, the ones that start later included: a third replica's first line arrives live.
  const follower = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli/main.ts'), 'logs', APP, '-t'], { cwd: ROOT, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  follower.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await eventually('the tail of both pods', async () => ((out.match(/app\[web\.\w+\]: node-deps app \(code A\) listening/g) ?? []).length >= 2 ? true : undefined), 30_000);
    assert.match(out, /^\S+Z app\[web\.\w+\]: /m);
    await getService(k, APP, '/hello-from-the-test');
    await eventually('a request line, live', async () => (/app\[web\.\w+\]: GET \/hello-from-the-test$/m.test(out) ? true : undefined), 30_000);
    assert.equal((await p.cli(['ps:scale', APP, 'web=3'])).code, 0);
    await eventually('the third pod\'s first line, live', async () => ((out.match(/app\[web\.\w+\]: node-deps app \(code A\) listening/g) ?? []).length >= 3 ? true : undefined), 90_000);
  } finally {
    follower.kill('SIGTERM');
  }
});

test('apps:destroy deletes the app\'s namespace', async () => {
  const destroyed = await p.cli(['apps:destroy', APP, '--confirm', APP]);
  assert.equal(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  await eventually('the namespace gone', async () => {
    const all = await k.cluster.kube.core.listNamespace();
    return all.items.some((n) => n.metadata?.name === k.appNamespace(APP)) ? undefined : true;
  }, 120_000);
  const jobs = await k.cluster.kube.batch.listNamespacedJob({ namespace: k.buildNamespace, labelSelector: `app.kubernetes.io/instance=${APP}` });
  assert.deepEqual(jobs.items.map((j) => j.metadata?.name), [], 'its build Jobs too');
});
