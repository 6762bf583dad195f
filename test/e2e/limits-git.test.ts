// test/e2e/limits-git.test.ts — git's resource limits against a started platform with small settings: the push
// size (receive.maxInputSize) over SSH and smart HTTP, the per-app disk quota, slug retention with rollback, and
// malformed pkt-lines on smart HTTP answered at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createUser, fixtureRepo, git, httpRemote, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { repoRefs } from '../support/access.ts';
import { commitAll, createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

const MAX_PUSH_MB = 1, QUOTA_MB = 1.6, RETENTION = 2;

let p: Platform;
let dir: string;
let alice: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform({ env: { PAAS_MAX_PUSH_MB: String(MAX_PUSH_MB), PAAS_APP_QUOTA_MB: String(QUOTA_MB), PAAS_SLUG_RETENTION: String(RETENTION) } });
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  await stopPlatform(p, dir);
});

/** A static app with `bytes` of random (incompressible) data in blob.bin, committed. */
async function staticRepoWith(bytes: number): Promise<string> {
  const repo = await fixtureRepo('static', dir);
  fs.writeFileSync(path.join(repo, 'blob.bin'), crypto.randomBytes(bytes));
  await commitAll(repo, 'add a blob');
  return repo;
}

/** Files in an app repo's object store (packs and loose objects): what a refused push must not leave. */
function objectFiles(app: string): string[] {
  const objects = path.join(p.dataDir, 'repos', `${app}.git`, 'objects');
  return fs.readdirSync(objects, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

const TOO_LARGE = /^ !     Push refused: the pack is larger than this platform's limit of 1 MB per push \(PAAS_MAX_PUSH_MB\); nothing was stored$/;

test('a push over the size limit is refused over SSH with a line naming the limit, and nothing is stored', async () => {
  await createApp(p, 'big-ssh', alice.email);
  const repo = await staticRepoWith(1.5 * 1024 * 1024);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'big-ssh'), 'main');
  assert.notEqual(push.code, 0, pushOutput(push));
  assert.ok(remoteLines(push.stderr).some((l) => TOO_LARGE.test(l)), pushOutput(push));
  assert.equal(await repoRefs(p, 'big-ssh'), '');
  assert.deepEqual(objectFiles('big-ssh'), []);
});

test('a push over the size limit is refused over smart HTTP the same way', async () => {
  await createApp(p, 'big-http', alice.email);
  const repo = await staticRepoWith(1.5 * 1024 * 1024);
  const push = await git(repo, { ...process.env, GIT_TERMINAL_PROMPT: '0' }, 'push', httpRemote(p, 'big-http', alice.token), 'main');
  assert.notEqual(push.code, 0, pushOutput(push));
  assert.ok(remoteLines(push.stderr).some((l) => TOO_LARGE.test(l)), pushOutput(push));
  assert.equal(await repoRefs(p, 'big-http'), '');
  assert.deepEqual(objectFiles('big-http'), []);
});

test('a push that would take the app over its disk quota is refused, naming the quota and the use', async () => {
  await createApp(p, 'full', alice.email);
  const repo = await staticRepoWith(700 * 1024); // repo 0.7 MB + slug 0.7 MB: under the 1.6 MB quota
  const first = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'full'), 'main');
  assert.equal(first.code, 0, pushOutput(first));
  const refsBefore = await repoRefs(p, 'full');
  fs.writeFileSync(path.join(repo, 'blob2.bin'), crypto.randomBytes(700 * 1024));
  await commitAll(repo, 'another blob');
  const second = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'full'), 'main');
  assert.notEqual(second.code, 0, pushOutput(second));
  const refusal = remoteLines(second.stderr).find((l) => l.startsWith(' !     Push refused: full would use'));
  assert.match(refusal ?? '', /would use 2\.\d MB of its 1\.6 MB disk quota \(PAAS_APP_QUOTA_MB; in use before this push: 1\.\d MB, repo and slugs; this push: 0\.7 MB\); nothing was stored$/, pushOutput(second));
  assert.equal(await repoRefs(p, 'full'), refsBefore, 'the branch did not move');
});

test('slug retention keeps the newest N slugs; rollback within them works, beyond them it is refused clearly', async () => {
  await createApp(p, 'keep', alice.email);
  const repo = await fixtureRepo('static', dir);
  for (let i = 1; i <= 3; i++) {
    if (i > 1) { fs.writeFileSync(path.join(repo, 'mark.txt'), `${i}\n`); await commitAll(repo, `mark ${i}`); }
    const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'keep'), 'main');
    assert.equal(push.code, 0, pushOutput(push));
  }
  const slugs = path.join(p.dataDir, 'apps', 'keep', 'slugs');
  await waitFor(() => fs.readdirSync(slugs).sort().join(',') === '2,3', 10_000, 'only the slugs of builds 2 and 3 kept');
  const within = await p.cli(['rollback', 'keep', 'v2']);
  assert.equal(within.code, 0, within.stderr + within.stdout);
  const beyond = await p.cli(['rollback', 'keep', 'v1']);
  assert.equal(beyond.code, 1);
  assert.match(beyond.stderr, /^ !     v1's build was deleted \(its slug or image\): the platform keeps only the newest builds \(PAAS_SLUG_RETENTION\)\. Roll back to a newer release, or push that commit again$/m);
  assert.deepEqual(fs.readdirSync(slugs).sort(), ['2', '3'], 'the refused rollback changed nothing');
});

/** POSTs a raw body to a smart-HTTP RPC route; resolves with the status, body and how long the answer took. */
function postRpc(app: string, service: string, body: Buffer): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: p.httpPort, method: 'POST', path: `/${app}.git/git-${service}`,
      headers: { authorization: `Basic ${Buffer.from(`u:${alice.token}`).toString('base64')}`, 'content-type': `application/x-git-${service}-request` },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('malformed pkt-lines on smart HTTP are answered at once with a 400 naming the fault', async () => {
  await createApp(p, 'pkt', alice.email);
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('zzzz'), /bad pkt-line length "zzzz"/],
    [Buffer.concat([Buffer.from('ffff'), Buffer.alloc(64, 'x')]), /pkt-line length 65535 is out of range \(4-65520\)/],
    [Buffer.from('0032want 0000'), /ends inside its pkt-lines \(truncated\)/],
  ];
  for (const service of ['receive-pack', 'upload-pack']) {
    for (const [body, reason] of cases) {
      const r = await postRpc('pkt', service, body);
      assert.equal(r.status, 400, `${service} ${body.toString('latin1', 0, 8)}: ${r.body}`);
      assert.match(r.body, /^Malformed git request: /);
      assert.match(r.body, reason);
      assert.ok(r.ms < 1000, `answered after ${r.ms} ms`);
    }
  }
  assert.equal(await repoRefs(p, 'pkt'), '');
});
