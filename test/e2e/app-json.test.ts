// test/e2e/app-json.test.ts — pushes of an app with an app.json (local mode, real git over SSH): a malformed file and
// a missing required var refuse the push before building; env defaults reach the app (config wins); predeploy and
// postdeploy print in the push (Heroku's postdeploy on the first deploy only); a failing startup check keeps the old
// release serving; a postdeploy that hangs runs with its release live and is stopped at PAAS_RELEASE_TIMEOUT_SECONDS,
// and a platform killed during one comes back with that release live, not deployed again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  createUser, fixtureRepo, getApp, git, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type RunResult, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, livePush, pushOutput, stopPlatform } from '../support/push.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let repo: string;
const app = 'withappjson';
/** Short, so the hanging postdeploy below is stopped soon; the fixture's scripts are single echos. */
const releaseTimeoutSeconds = 6;
const appJsonText = (): string => fs.readFileSync(path.join(repo, 'app.json'), 'utf8');

/** Commits the change `edit` makes and pushes over SSH. */
async function push(edit: () => void): Promise<RunResult & { lines: string[] }> {
  edit();
  await commitAll(repo, 'change', '--allow-empty');
  const r = await git(repo, alice.sshEnv, 'push', sshRemote(p, app), 'main');
  return { ...r, lines: remoteLines(r.stderr) };
}

const setMark = (mark: string) => () => fs.writeFileSync(path.join(repo, 'mark.txt'), `${mark}\n`);

async function cli(...args: string[]): Promise<string> {
  const r = await p.cli(args);
  assert.equal(r.code, 0, `${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  dir = tempDir();
  p = await startPlatform({ env: { PAAS_RELEASE_TIMEOUT_SECONDS: String(releaseTimeoutSeconds) } });
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, app, alice.email);
  repo = await fixtureRepo('node-app-json', dir);
});

after(() => stopPlatform(p, dir));

test('a malformed app.json fails the push with the line and column of the JSON error; nothing is built', async () => {
  const good = appJsonText();
  const r = await push(() => fs.writeFileSync(path.join(repo, 'app.json'), good.replace('"env": {', '"env": {,')));
  assert.notEqual(r.code, 0, pushOutput(r));
  assert.ok(r.lines.includes(' !     app.json is not valid JSON: line 4, column 11: Expected property name or \'}\''), r.lines.join('\n'));
  assert.ok(r.lines.includes(' !     Push rejected: the build failed, nothing was deployed'), r.lines.join('\n'));
  assert.ok(!r.lines.some((l) => l.includes('npm')), 'no build step ran');
  fs.writeFileSync(path.join(repo, 'app.json'), good);
});

test('a required var missing from the config fails the push before building, with its name and description', async () => {
  const r = await push(() => undefined);
  assert.notEqual(r.code, 0, pushOutput(r));
  assert.ok(r.lines.includes('-----> app.json: ignoring what this platform does not use: name, description'), r.lines.join('\n'));
  assert.ok(r.lines.includes(` !     app.json requires API_KEY (the API key for X): config:set ${app} API_KEY=…`), r.lines.join('\n'));
  assert.ok(!r.lines.some((l) => l.includes('npm')), 'no build step ran');
  assert.match(await cli('releases', app), /no releases/i);
});

test('a failing first-deploy postdeploy (Heroku) says it will not run again and how to run it by hand', async () => {
  const other = 'firstdeployfails';
  await createApp(p, other, alice.email);
  await cli('config:set', other, 'API_KEY=k1');
  const good = appJsonText();
  fs.writeFileSync(path.join(repo, 'app.json'), good.replace('"echo first deploy only"', '"echo seeding; exit 2"'));
  await commitAll(repo, 'a first-deploy script that fails');
  const r = await git(repo, alice.sshEnv, 'push', sshRemote(p, other), 'main');
  const lines = remoteLines(r.stderr);
  assert.notEqual(r.code, 0, pushOutput(r));
  assert.ok(lines.includes(' !     first-deploy postdeploy script failed (exit 2)'), lines.join('\n'));
  assert.ok(lines.includes(` !     v1 is live (it passed its checks); scripts.postdeploy runs only after the first deploy, so run it by hand: run ${other} echo seeding; exit 2`), lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('push again')), lines.join('\n'));
  assert.match(await cli('apps:info', other), /Release:\s+v1/);
  fs.writeFileSync(path.join(repo, 'app.json'), good);
});

test('with the var set: env defaults reach the app, predeploy and both postdeploys print, the startup check passes', async () => {
  await cli('config:set', app, 'API_KEY=k1');
  const r = await push(() => undefined);
  assert.equal(r.code, 0, pushOutput(r));
  const at = (line: string): number => r.lines.indexOf(line);
  assert.ok(at('-----> Running predeploy script: echo predeploy ran at $RELEASE_VERSION') > 0, r.lines.join('\n'));
  assert.ok(at('       predeploy ran at v1') > at('-----> Running predeploy script: echo predeploy ran at $RELEASE_VERSION'));
  assert.ok(r.lines.some((l) => l.startsWith('       web.1 is up on port')), r.lines.join('\n'));
  assert.ok(at('-----> Running first-deploy postdeploy script: echo first deploy only') > 0, r.lines.join('\n'));
  assert.ok(at('       postdeploy ran') > at('       first deploy only'));
  assert.equal(r.lines.at(-1), `-----> v1 is live at http://${app}.localhost:${p.routerPort}/`);
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v1, code A, greeting hello from app.json, key k1\n' });
  await cli('config:set', app, 'GREETING=mine');
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v2, code A, greeting mine, key k1\n' }, 'config wins over the default');
});

test('a startup check that gets the wrong content fails the deploy with its name; the old release keeps serving', async () => {
  const good = appJsonText();
  const r = await push(() => {
    setMark('B')();
    fs.writeFileSync(path.join(repo, 'app.json'), good.replace('"content": "ok"', '"content": "never there"'));
  });
  assert.notEqual(r.code, 0, pushOutput(r));
  const failed = r.lines.find((l) => l.startsWith(' !     Release v3 failed:')) ?? '';
  assert.match(failed, /startup check "health" \(GET \/health\) failed after 20 attempts: HTTP 200 without the expected content "never there"/, r.lines.join('\n'));
  assert.ok(r.lines.includes(' !     v2 is still serving'), r.lines.join('\n'));
  assert.ok(!r.lines.some((l) => l.includes('postdeploy')), 'no postdeploy after a failed deploy');
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v2, code A, greeting mine, key k1\n' });
  fs.writeFileSync(path.join(repo, 'app.json'), good);
});

test('a later push runs postdeploy but not the first-deploy script; a failing postdeploy leaves the release live and fails the push', async () => {
  const good = appJsonText();
  const ok = await push(setMark('C'));
  assert.equal(ok.code, 0, pushOutput(ok));
  assert.ok(ok.lines.includes('       postdeploy ran') && !ok.lines.some((l) => l.includes('first deploy only')), ok.lines.join('\n'));
  const bad = await push(() => fs.writeFileSync(path.join(repo, 'app.json'), good.replace('"echo postdeploy ran"', '"echo cleanup failed; exit 3"')));
  assert.notEqual(bad.code, 0, pushOutput(bad));
  assert.ok(bad.lines.some((l) => /^ !     postdeploy script failed/.test(l)), bad.lines.join('\n'));
  assert.ok(bad.lines.includes(' !     v5 is live (it passed its checks); the script\'s work is not done: fix it and push again'), bad.lines.join('\n'));
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v5, code C, greeting mine, key k1\n' });
});

/** Commits app.json with a dokku postdeploy that prints `hanging` and never ends, and the given mark. */
async function commitHangingPostdeploy(mark: string): Promise<void> {
  const hanging = JSON.parse(appJsonText());
  hanging.scripts.dokku.postdeploy = 'echo hanging; sleep 600';
  fs.writeFileSync(path.join(repo, 'app.json'), JSON.stringify(hanging));
  setMark(mark)();
  await commitAll(repo, `a postdeploy that hangs, mark ${mark}`);
}

test('a postdeploy that hangs runs with its release live and is stopped at PAAS_RELEASE_TIMEOUT_SECONDS; the push fails saying so', async () => {
  await commitHangingPostdeploy('D');
  const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, app), 'main');
  await push.waitForLine(/^remote:\s+hanging\s*$/);
  // The script runs: the new release is already the app's current one, and serves.
  assert.match(await cli('apps:info', app), /Release:\s+v6/, 'current_release_id names the new release while its postdeploy runs');
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v6, code D, greeting mine, key k1\n' });
  const r = await push.done;
  const lines = remoteLines(r.stderr);
  assert.notEqual(r.code, 0, lines.join('\n'));
  assert.ok(lines.includes(` !     postdeploy script did not finish within ${releaseTimeoutSeconds} s and was stopped (PAAS_RELEASE_TIMEOUT_SECONDS)`), lines.join('\n'));
  assert.ok(lines.includes(' !     v6 is live (it passed its checks); the script\'s work is not done: fix it and push again'), lines.join('\n'));
});

test('a platform killed during a postdeploy restarts with that release live, neither deployed again nor left running', async () => {
  await commitHangingPostdeploy('E');
  const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, app), 'main');
  await push.waitForLine(/^remote:\s+hanging\s*$/);
  await p.kill();
  await push.done;
  p = await startPlatform({ dataDir: p.dataDir, schema: p.env.PAAS_DB_SCHEMA, env: { PAAS_RELEASE_TIMEOUT_SECONDS: String(releaseTimeoutSeconds) } });
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v7, code E, greeting mine, key k1\n' });
  assert.match(await cli('releases', app), /v7\*\s+Deploy.*\s+succeeded/);
  // The build's log ends (the push no longer counts as running), and its deploy ran once: predeploy printed once.
  const output = await cli('builds:output', app);
  assert.equal(output.split('\n').filter((l) => l === '       predeploy ran at v7').length, 1, output);
  assert.ok(!output.includes('deploying again'), output);
});
