// test/e2e/push.test.ts — pushing each runtime's sample app with the real git over SSH and HTTP deploys it behind
// the router; the push prints the platform's exact steps, streams them live, and `logs` shows the app's output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createUser, fixtureRepo, getApp, git, httpRemote, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser,
} from '../support/platform.ts';
import { createApp, livePush, platformLines, pushOutput, revOf, stopPlatform } from '../support/push.ts';
import { idsSuffix, withoutIds } from '../support/first-line.ts';

let p: Platform;
let dir: string;
let alice: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await createUser(p, 'alice@example.com', dir);
});

after(() => stopPlatform(p, dir));

test('a Node.js app pushed over SSH prints the exact steps, exits 0 and answers at its URL', async () => {
  await createApp(p, 'hello-node', alice.email);
  const repo = await fixtureRepo('node', dir);
  const rev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'hello-node'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = platformLines(remoteLines(push.stderr)).map((l) => withoutIds(l).replace(/ on port \d+$/, ' on port <port>'));
  assert.match(remoteLines(push.stderr)[0]!, idsSuffix, 'the first line names the build id and the trace');
  assert.deepEqual(lines, [
    `-----> Building hello-node (build 1) from main at ${rev.slice(0, 7)}`,
    '-----> Node.js app detected',
    '-----> Installing dependencies with npm install',
    '-----> Discovering process types',
    '       Default types for Node.js -> web',
    '-----> Build 1 succeeded',
    '-----> Releasing v1',
    '-----> Starting web.1 (v1)',
    '       web.1 is up on port <port>',
    '-----> Routing hello-node to v1',
    `-----> v1 is live at http://hello-node.localhost:${p.routerPort}/`,
  ]);
  assert.match(push.stderr, /\* \[new branch\]\s+main -> main/);
  assert.deepEqual(await getApp(p, 'hello-node'), { status: 200, body: 'Hello from node, release v1\n' });
});

test('a Python app pushed over HTTP (token as password) deploys and answers', async () => {
  await createApp(p, 'hello-python', alice.email);
  const repo = await fixtureRepo('python', dir);
  const rev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'hello-python', alice.token), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = platformLines(remoteLines(push.stderr)).map((l) => withoutIds(l).replace(/ on port \d+$/, ' on port <port>'));
  assert.deepEqual(lines, [
    `-----> Building hello-python (build 1) from main at ${rev.slice(0, 7)}`,
    '-----> Python app detected',
    '-----> Creating virtualenv in .venv',
    '-----> Installing requirements with pip',
    '-----> Discovering process types',
    '       Procfile declares types -> web',
    '-----> Build 1 succeeded',
    '-----> Releasing v1',
    '-----> Starting web.1 (v1)',
    '       web.1 is up on port <port>',
    '-----> Routing hello-python to v1',
    `-----> v1 is live at http://hello-python.localhost:${p.routerPort}/`,
  ]);
  assert.deepEqual(await getApp(p, 'hello-python'), { status: 200, body: 'Hello from python\n' });
});

test('a static site pushed over SSH is served, files beside index.html too', async () => {
  await createApp(p, 'hello-static', alice.email);
  const repo = await fixtureRepo('static', dir);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'hello-static'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = remoteLines(push.stderr);
  assert.ok(lines.includes('-----> Static HTML app detected'), lines.join('\n'));
  assert.ok(lines.includes('-----> Serving index.html and the files beside it'), lines.join('\n'));
  assert.equal(lines.at(-1), `-----> v1 is live at http://hello-static.localhost:${p.routerPort}/`);
  const page = await getApp(p, 'hello-static');
  assert.equal(page.status, 200);
  assert.match(page.body, /<h1>Hello from static<\/h1>/);
  assert.deepEqual(await getApp(p, 'hello-static', '/style.css'), { status: 200, body: 'body { font-family: sans-serif; }\n' });
});

test('a Procfile app pushed over HTTP runs its web command', async () => {
  await createApp(p, 'hello-procfile', alice.email);
  const repo = await fixtureRepo('procfile', dir);
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'hello-procfile', alice.token), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = remoteLines(push.stderr);
  assert.ok(lines.includes('-----> Procfile app detected'), lines.join('\n'));
  assert.ok(lines.includes('       Procfile declares types -> web'), lines.join('\n'));
  assert.equal(lines.at(-1), `-----> v1 is live at http://hello-procfile.localhost:${p.routerPort}/`);
  assert.deepEqual(await getApp(p, 'hello-procfile'), { status: 200, body: 'Hello from procfile\n' });
});

test('the push relays build output as it is printed, not when the build ends', async () => {
  await createApp(p, 'slow-build', alice.email);
  const repo = await fixtureRepo('node-slow-build', dir);
  const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'slow-build'), 'main');
  const one = await push.waitForLine(/^remote:\s+step one\s*$/);
  const two = await push.waitForLine(/^remote:\s+step two\s*$/);
  const result = await push.done;
  assert.equal(result.code, 0, pushOutput(result));
  assert.ok(two.at - one.at >= 1500, `"step one" came at ${one.at} ms and "step two" at ${two.at} ms: not streamed live`);
  assert.ok(result.at - one.at >= 1500, `"step one" came at ${one.at} ms, only just before the push ended at ${result.at} ms`);
  assert.deepEqual(await getApp(p, 'slow-build'), { status: 200, body: 'Hello from node, release v1\n' });
});

test('logs APP shows what the app printed when it started', async () => {
  const logs = await p.cli(['logs', 'hello-node']);
  assert.equal(logs.code, 0, logs.stderr);
  const lines = logs.stdout.split('\n').filter(Boolean);
  assert.ok(lines.some((l) => /^\S+ app\[web\.1\]: node app listening on port \d+$/.test(l)), logs.stdout);
  assert.ok(lines.some((l) => /^\S+ app\[paas\]: web\.1: starting v1 with command `npm start`$/.test(l)), logs.stdout);
  const tail = await p.cli(['logs', 'hello-node', '-n', '1']);
  assert.equal(tail.stdout.split('\n').filter(Boolean).length, 1, tail.stdout);
});
