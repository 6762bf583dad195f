// test/e2e/push-releases.test.ts — what happens after a push: config:set makes a release the app sees, rollback
// returns to an earlier build and config, releases/builds/builds:output keep the history, and a restarted platform
// (after SIGTERM or SIGKILL) brings its apps back without a new push.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  createUser, fixtureRepo, getApp, git, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type RunResult, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, pushOutput, revOf, stopPlatform } from '../support/push.ts';
import { isAlive, killGroups, processesUnder, type ProcessInfo } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { withoutIds } from '../support/first-line.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let repo: string;
const revs: string[] = [];
const pushes: RunResult[] = [];

/** Commits mark.txt = mark and pushes it over SSH; asserts it deployed. */
async function pushMark(mark: string): Promise<RunResult> {
  fs.writeFileSync(path.join(repo, 'mark.txt'), `${mark}\n`);
  revs.push(await commitAll(repo, `code ${mark}`));
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'history'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  pushes.push(push);
  return push;
}

const body = (release: string, code: string, greeting = '(unset)') => ({ status: 200, body: `release ${release}, code ${code}, greeting ${greeting}\n` });

/** The CLI's stdout; fails the test with its stderr when it exits non-zero. */
async function cli(...args: string[]): Promise<string> {
  const r = await p.cli(args);
  assert.equal(r.code, 0, `${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'history', alice.email);
  repo = await fixtureRepo('node-env', dir);
  revs.push(await revOf(repo, 'HEAD'));
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'history'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  pushes.push(push);
});

/** App processes of the crashed platform that were still running after the restart (ended in `after`). */
let leftBehind: ProcessInfo[] = [];

after(async () => {
  killGroups(leftBehind);
  await stopPlatform(p, dir);
});

test('config:set makes a new release, and the app sees the variable', async () => {
  assert.deepEqual(await getApp(p, 'history'), body('v1', 'A'));
  assert.equal(await cli('config:set', 'history', 'GREETING=hello world'), 'Setting GREETING and restarting history... done, v2\n');
  assert.deepEqual(await getApp(p, 'history'), body('v2', 'A', 'hello world'));
  assert.match(await cli('config', 'history'), /^GREETING:\s+hello world$/m);
});

test('a new push keeps the config and runs the new code', async () => {
  const push = await pushMark('B');
  assert.equal(remoteLines(push.stderr).at(-1), `-----> v3 is live at http://history.localhost:${p.routerPort}/`);
  assert.deepEqual(await getApp(p, 'history'), body('v3', 'B', 'hello world'));
});

test('rollback returns to the earlier release: its build and its config', async () => {
  assert.equal(await cli('rollback', 'history'), 'Rolling back history (Rollback to v2)... done, v4\n');
  assert.deepEqual(await getApp(p, 'history'), body('v4', 'A', 'hello world'));
  assert.equal(await cli('rollback', 'history', 'v1'), 'Rolling back history (Rollback to v1)... done, v5\n');
  assert.deepEqual(await getApp(p, 'history'), body('v5', 'A'));
  assert.doesNotMatch(await cli('config', 'history'), /GREETING/);
});

test('releases and builds list the history, newest first', async () => {
  const releases = (await cli('releases', 'history')).split('\n').filter(Boolean);
  assert.equal(releases[0], '=== history Releases');
  // Pushes are made by alice; config:set and rollback here by the local operator, who is no user ("-").
  const expected = [
    ['v5\\*', 'Rollback to v1', '-'], ['v4', 'Rollback to v2', '-'], ['v3', `Deploy ${revs[1]!.slice(0, 7)}`, 'alice@example\\.com'],
    ['v2', 'Set GREETING', '-'], ['v1', `Deploy ${revs[0]!.slice(0, 7)}`, 'alice@example\\.com'],
  ];
  assert.equal(releases.length, expected.length + 1, releases.join('\n'));
  expected.forEach(([version, description, user], i) => {
    assert.match(releases[i + 1]!, new RegExp(`^${version}\\s+${description}\\s+succeeded\\s+${user}\\s+\\d+[smhd] ago$`));
  });
  const builds = (await cli('builds', 'history')).split('\n').filter(Boolean);
  assert.equal(builds[0], '=== history Builds');
  assert.equal(builds.length, 3, builds.join('\n'));
  [2, 1].forEach((number, i) => {
    const rev = revs[number - 1]!.slice(0, 7);
    assert.match(builds[i + 1]!, new RegExp(`^${number}\\s+succeeded\\s+node\\s+main@${rev}\\s+alice@example\\.com\\s+\\d+[smhd] ago$`));
  });
});

test('builds:output replays each build log exactly as its push showed it', async () => {
  for (const [i, push] of pushes.entries()) {
    const replay = (await cli('builds:output', 'history', String(i + 1))).split('\n').map((l) => l.trimEnd());
    assert.equal(replay.pop(), '');
    assert.deepEqual(replay, remoteLines(push.stderr));
  }
  const latest = (await cli('builds:output', 'history')).split('\n');
  assert.equal(withoutIds(latest[0]!), `-----> Building history (build 2) from main at ${revs[1]!.slice(0, 7)}`);
});

/** Restarts the platform on the same data dir and database schema; returns the app processes running before. */
async function restart(how: 'stop' | 'kill'): Promise<ProcessInfo[]> {
  const running = processesUnder(p.dataDir);
  assert.ok(running.length > 0, 'the app should have processes before the restart');
  await p[how]();
  assert.equal((await getApp(p, 'history')).status, 0, 'the router should be gone with the platform');
  p = await startPlatform({ dataDir: p.dataDir, schema: p.env.PAAS_DB_SCHEMA });
  return running;
}

test('after a clean stop (SIGTERM) and a restart, the app answers again without a push', async () => {
  const before = await restart('stop');
  // SIGKILLed stragglers may take a moment to be reaped; a clean stop must not leave any for long.
  await waitFor(() => !before.some((proc) => isAlive(proc.pid)), 5000, 'every app process to end after a clean stop');
  await waitFor(async () => (await getApp(p, 'history')).status === 200, 15_000, 'the app to answer after the restart');
  assert.deepEqual(await getApp(p, 'history'), body('v5', 'A'));
  assert.match(await cli('releases', 'history'), /^v5\*\s/m);
});

test('after a crash (SIGKILL) and a restart, the app answers again and pushes still work', async () => {
  const before = await restart('kill');
  await waitFor(async () => (await getApp(p, 'history')).status === 200, 15_000, 'the app to answer after the restart');
  leftBehind = before.filter((proc) => isAlive(proc.pid));
  assert.deepEqual(await getApp(p, 'history'), body('v5', 'A'));
  const push = await pushMark('C');
  assert.equal(withoutIds(remoteLines(push.stderr)[0]!), `-----> Building history (build 3) from main at ${revs[2]!.slice(0, 7)}`);
  assert.deepEqual(await getApp(p, 'history'), body('v6', 'C'));
});

test('a restart after a crash ends the app processes the crashed platform left running', () => {
  assert.deepEqual(leftBehind.map((proc) => proc.cwd), []);
});
