// test/e2e/docker-mode.test.ts — Docker mode (PAAS_RUNTIME=docker) end to end, on the real Engine, with the real git
// over the real OpenSSH client: a failing build, a crash on boot, the release phase, scale, logs, rollback (image and
// config), a platform restart that adopts its containers, and apps:destroy. The Engine's side is read with dockerode,
// by the platform's labels (runtime/docker/names.ts). Needs an Engine (.ci/run starts one): without, it fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { sshCli } from '../support/access.ts';
import {
  dockerSkip, ensureBaseImages, platformContainers, platformImages, removePlatformLeftovers, testDocker,
} from '../support/docker-engine.ts';
import {
  createUser, getApp, git, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type RunResult, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';
import { labels } from '../../runtime/docker/names.ts';

let p: Platform;
let docker: Docker;
let dir: string;
let alice: TestUser;
const dataDirs = new Set<string>();

/** A Node web (no dependencies) saying its greeting, code mark and container, with a release phase writing to /app. */
function webApp(mark: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name: 'dm-web', version: '1.0.0', private: true }, null, 2),
    'package-lock.json': JSON.stringify({ name: 'dm-web', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'dm-web', version: '1.0.0' } } }, null, 2),
    Procfile: 'release: touch /app/release.test && echo "release phase ran"\nweb: node server.js\n',
    'server.js': [
      "const http = require('node:http');",
      "const os = require('node:os');",
      'const port = Number(process.env.PORT || 5000);',
      `http.createServer((req, res) => res.end(\`\${process.env.GREETING || 'hello'} from ${mark} on \${os.hostname()}\\n\`))`,
      '  .listen(port, () => console.log(`dm-web listening on ${port}`));',
      '',
    ].join('\n'),
    ...extra,
  };
}

/** Writes files into a repo (a new one, with git init, when it does not exist yet) and commits them on main. */
async function commitFiles(repo: string, files: Record<string, string>, message: string): Promise<void> {
  if (!fs.existsSync(repo)) {
    fs.mkdirSync(repo, { recursive: true });
    await git(repo, process.env, 'init', '-q', '-b', 'main');
  }
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(repo, name), content);
  await commitAll(repo, message);
}

async function push(repo: string, app: string): Promise<RunResult & { lines: string[] }> {
  const r = await git(repo, alice.sshEnv, 'push', sshRemote(p, app), 'main');
  return { ...r, lines: remoteLines(r.stderr) };
}

function cli(...argv: string[]): Promise<RunResult> {
  return sshCli(p, alice, argv);
}

/** The ids of the app's running web containers, sorted. */
async function webContainers(app: string): Promise<string[]> {
  return (await platformContainers(docker, p.dataDir, { app, type: 'web', running: true })).map((c) => c.Id).sort();
}

/** Requests the app until each of `count` containers has answered; returns the bodies by container hostname. */
async function answersFrom(app: string, count: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  await waitFor(async () => {
    const r = await getApp(p, app); // a connection of its own each time: the router balances per connection
    if (r.status === 200) seen.set(/ on (\S+)$/.exec(r.body.trim())?.[1] ?? '', r.body);
    return seen.size >= count;
  }, 30_000, `${count} containers of ${app} to answer`);
  return seen;
}

before(async () => {
  const noEngine = await dockerSkip();
  if (noEngine) throw new Error(`The Docker-mode tests need a Docker Engine: ${noEngine}`);
  docker = testDocker();
  await ensureBaseImages(docker);
  dir = tempDir('paas-docker-mode-');
  p = await startPlatform({ env: { PAAS_RUNTIME: 'docker' } });
  dataDirs.add(p.dataDir);
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  if (p) await p.stop();
  if (docker) for (const dataDir of dataDirs) await removePlatformLeftovers(docker, dataDir);
  await stopPlatform(p, dir);
});

test('a Dockerfile whose RUN fails fails the push with a " !     " line; nothing is deployed', async () => {
  await createApp(p, 'dm-broken', alice.email);
  const repo = path.join(dir, 'dm-broken');
  await commitFiles(repo, { Dockerfile: 'FROM debian:bookworm-slim\nRUN echo "about to fail" && false\nCMD ["true"]\n' }, 'broken build');
  const r = await push(repo, 'dm-broken');
  assert.notEqual(r.code, 0, pushOutput(r));
  assert.ok(r.lines.some((l) => l.startsWith(' !     ')), pushOutput(r));
  assert.ok(r.lines.some((l) => l.includes('about to fail')), `the build's output streams into the push:\n${pushOutput(r)}`);
  assert.deepEqual(await platformContainers(docker, p.dataDir, { app: 'dm-broken' }), []);
  assert.notEqual((await getApp(p, 'dm-broken')).status, 200);
});

test('a Node app deploys as containers; its release phase runs in a one-off container and its output is in the push', async () => {
  await createApp(p, 'dm-web', alice.email);
  await commitFiles(path.join(dir, 'dm-web'), webApp('code-1'), 'code 1');
  const r = await push(path.join(dir, 'dm-web'), 'dm-web');
  assert.equal(r.code, 0, pushOutput(r));
  assert.equal(r.lines.at(-1), `-----> v1 is live at http://dm-web.localhost:${p.routerPort}/`);
  assert.ok(r.lines.some((l) => l.includes('release phase ran')), pushOutput(r));
  assert.match((await getApp(p, 'dm-web')).body, /^hello from code-1 on \S+\n$/);
  assert.equal((await webContainers('dm-web')).length, 1);
  await waitFor(async () => (await platformContainers(docker, p.dataDir, { app: 'dm-web' }))
    .every((c) => c.Labels[labels.role] !== 'release'), 15_000, 'the release container to be removed');
});

test('a web that exits at boot fails the push with its last lines, and the previous release keeps serving', async () => {
  const before = await webContainers('dm-web');
  const repo = path.join(dir, 'dm-web');
  await commitFiles(repo, { 'server.js': 'console.log("crashing on purpose");\nprocess.exit(1);\n' }, 'crash on boot');
  const r = await push(repo, 'dm-web');
  assert.notEqual(r.code, 0, pushOutput(r));
  assert.ok(r.lines.some((l) => l.startsWith(' !     ')), pushOutput(r));
  assert.ok(r.lines.some((l) => l.includes('crashing on purpose')), `the container's last lines:\n${pushOutput(r)}`);
  assert.match((await getApp(p, 'dm-web')).body, /^hello from code-1 on /);
  // The failed container may be removed just after the push's last line: waited for, briefly.
  await waitFor(async () => JSON.stringify(await webContainers('dm-web')) === JSON.stringify(before), 15_000, 'the v1 container alone to run');
  await commitFiles(repo, webApp('code-1'), 'back to code 1'); // the repo's next pushes start from working code
});

test('logs shows what the app printed, from the container', async () => {
  const logs = await cli('logs', 'dm-web', '-n', '200');
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /app\[web\.1\]: dm-web listening on \d+/);
});

test('ps:scale web=2 runs two containers, and both answer through the router', async () => {
  const scaled = await cli('ps:scale', 'dm-web', 'web=2');
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  await waitFor(async () => (await webContainers('dm-web')).length === 2, 30_000, 'two web containers');
  const bodies = await answersFrom('dm-web', 2);
  for (const body of bodies.values()) assert.match(body, /^hello from code-1 on /);
  // ps reads the controller's process snapshot (every 2 s), which may still say web.2 is starting.
  let ps = '';
  await waitFor(async () => /^web\.1\s+up\b/m.test(ps = (await cli('ps', 'dm-web')).stdout) && /^web\.2\s+up\b/m.test(ps), 10_000, 'ps to show web.1 and web.2 up');
});

test('rollback brings back an earlier release: its image and its config', async () => {
  const set = await cli('config:set', 'dm-web', 'GREETING=hola');
  assert.equal(set.code, 0, set.stdout + set.stderr);
  const repo = path.join(dir, 'dm-web');
  await commitFiles(repo, webApp('code-2'), 'code 2');
  const r = await push(repo, 'dm-web');
  assert.equal(r.code, 0, pushOutput(r));
  await answersFrom('dm-web', 1).then((b) => assert.match([...b.values()][0]!, /^hola from code-2 on /));
  const back = await cli('rollback', 'dm-web', 'v1');
  assert.equal(back.code, 0, back.stdout + back.stderr);
  await waitFor(async () => /^hello from code-1 on /.test((await getApp(p, 'dm-web')).body), 30_000, 'v1 (hello, code 1) to serve again');
  for (const body of (await answersFrom('dm-web', 2)).values()) assert.match(body, /^hello from code-1 on /, 'every container runs v1');
});

test('after a platform restart, its containers are adopted, not duplicated, and the app answers', async () => {
  const running = await webContainers('dm-web');
  assert.equal(running.length, 2);
  const schema = p.env.PAAS_DB_SCHEMA;
  await p.stop();
  p = await startPlatform({ dataDir: p.dataDir, schema, env: { PAAS_RUNTIME: 'docker' } });
  await waitFor(async () => (await getApp(p, 'dm-web')).status === 200, 30_000, 'dm-web to answer after the restart');
  assert.deepEqual(await webContainers('dm-web'), running, 'the same containers run, and no others');
  const all = await platformContainers(docker, p.dataDir, { app: 'dm-web', running: true });
  assert.equal(all.length, 2, 'no duplicates of any type');
  assert.match(await cli('ps', 'dm-web').then((r) => r.stdout), /^web\.2\s+up\b/m);
});

test('apps:destroy removes the app\'s containers and images', async () => {
  assert.ok((await platformImages(docker, p.dataDir, 'dm-web')).length > 0, 'dm-web has images before');
  const destroyed = await cli('apps:destroy', 'dm-web', '--confirm', 'dm-web');
  assert.equal(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  await waitFor(async () => (await platformContainers(docker, p.dataDir, { app: 'dm-web' })).length === 0, 30_000, 'no dm-web containers');
  assert.deepEqual(await platformImages(docker, p.dataDir, 'dm-web'), []);
  assert.notEqual((await getApp(p, 'dm-web')).status, 200);
});
