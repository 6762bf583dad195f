// test/e2e/formation.test.ts — Heroku's process model through real pushes: only web runs by default (one-off types
// and workers wait for ps:scale), a worker-only app runs its worker and has no URL, and ps:scale outlives a push.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createUser, fixtureRepo, git, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

let p: Platform;
let dir: string;
let alice: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await createUser(p, 'alice@example.com', dir);
});

after(() => stopPlatform(p, dir));

/** The `type.index state vN` of each process `ps` lists, once it lists exactly `expected` (the snapshot lags by ~2 s). */
async function psUntil(app: string, expected: string[]): Promise<string[]> {
  let last: string[] = [];
  await waitFor(async () => {
    const out = await p.cli(['ps', app]);
    last = out.stdout.split('\n').slice(1).filter((l) => /^\S+\.\d+\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 3).join(' '));
    return JSON.stringify(last) === JSON.stringify(expected);
  }, 20_000, `ps ${app} to list ${expected.join(', ')}`).catch((err: Error) => assert.fail(`${err.message}; ps listed: ${last.join(', ')}`));
  return last;
}

test('a Procfile with web, worker and one-off types runs web only; ps:scale worker=1 is kept by the next push', async () => {
  await createApp(p, 'types', alice.email);
  const repo = await fixtureRepo('procfile-types', dir);
  const first = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'types'), 'main');
  assert.equal(first.code, 0, pushOutput(first));
  const lines = remoteLines(first.stderr);
  assert.equal(lines.at(-1), `-----> v1 is live at http://types.localhost:${p.routerPort}/`);
  assert.deepEqual(lines.filter((l) => l.startsWith('-----> Starting ')), ['-----> Starting web.1 (v1)']);
  await psUntil('types', ['web.1 up v1']);

  const scaled = await p.cli(['ps:scale', 'types', 'worker=1']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await psUntil('types', ['web.1 up v1', 'worker.1 up v1']);

  await commitAll(repo, 'second push', '--allow-empty');
  const second = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'types'), 'main');
  assert.equal(second.code, 0, pushOutput(second));
  const again = remoteLines(second.stderr);
  assert.deepEqual(again.filter((l) => l.startsWith('-----> Starting ')), ['-----> Starting web.1 (v2)', '-----> Starting worker.1 (v2)']);
  assert.ok(again.includes('       worker.1 is running'), again.join('\n'));
  await psUntil('types', ['web.1 up v2', 'worker.1 up v2']);
});

test('a worker-only app runs worker.1 from its first push, and the push names no URL', async () => {
  await createApp(p, 'bg', alice.email);
  const repo = await fixtureRepo('worker-only', dir);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'bg'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = remoteLines(push.stderr);
  assert.equal(lines.at(-1), '-----> v1 is up: worker x1 (no web process, so no URL)');
  assert.ok(!lines.some((l) => l.includes('is live at')), lines.join('\n'));
  await psUntil('bg', ['worker.1 up v1']);
  const info = await p.cli(['apps:info', 'bg']);
  assert.match(info.stdout, /^Web URL:\s+none \(no web process runs\)$/m);
});
