// test/e2e/webhooks.test.ts — outgoing webhooks as a user meets them: a hook added over SSH, real pushes with the
// real git, and the test's own HTTP receiver on loopback (the platform runs with PAAS_WEBHOOKS_ALLOW_PRIVATE=true
// for it) checking every signature. A push that deploys sends release.created, deploy.succeeded, then push (the ref
// moves only once the deploy is through); one whose deploy fails sends release.created and deploy.failed, no push.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { verify } from '@octokit/webhooks-methods';
import { createUser, fixtureRepo, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { sshCli } from '../support/access.ts';
import { commitFixture, createApp, pushOutput, revOf, stopPlatform } from '../support/push.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { waitFor } from '../support/wait.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let receiver: Receiver;
let secret: string;

before(async (t) => {
  dir = tempDir();
  receiver = await startReceiver(t as unknown as import('node:test').TestContext);
  // On NATS when the run has one (release.created then comes through the controller's own durable consumer), else on
  // the in-process bus of `npm start`; the worker tests (controller/webhook-worker.test.ts) cover the in-process bus.
  const nats = process.env.NATS_URL ? { NATS_URL: process.env.NATS_URL, PAAS_SUBJECT_PREFIX: `wh${crypto.randomBytes(3).toString('hex')}` } : {};
  p = await startPlatform({ env: { PAAS_WEBHOOKS_ALLOW_PRIVATE: 'true', PAAS_WEBHOOKS_BACKOFF: '0.2,0.2', ...nats } });
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'hooked', alice.email);
  const added = await sshCli(p, alice, ['webhooks:add', 'hooked', receiver.url]);
  assert.equal(added.code, 0, added.stderr);
  secret = /^Secret: ([0-9a-f]{64})$/m.exec(added.stdout)?.[1] ?? '';
  assert.ok(secret, added.stdout);
});

after(() => stopPlatform(p, dir));

/** The deliveries from `from` on, once `count` have arrived, each checked for its signature and headers. */
async function deliveries(from: number, count: number) {
  const got = (await receiver.until(from + count)).slice(from);
  for (const g of got) {
    assert.ok(await verify(secret, g.body, String(g.headers['x-paas-signature-256'])), `signed: ${g.body}`);
    assert.equal(g.headers['x-paas-event'], g.json.event);
    assert.equal(g.headers['x-paas-delivery'], g.json.id);
    assert.equal(g.json.app, 'hooked');
  }
  return got.map((g) => g.json as { event: string; data: Record<string, unknown> });
}

test('a deploying push sends release.created, deploy.succeeded and push, signed', { timeout: 120_000 }, async () => {
  const repo = await fixtureRepo('node', dir);
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'hooked'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const got = await deliveries(0, 3);
  assert.deepEqual(got.map((g) => g.event), ['release.created', 'deploy.succeeded', 'push']);
  assert.deepEqual(got[0]!.data.release, got[1]!.data.release);
  assert.equal((got[0]!.data.release as { version: number }).version, 1);
  assert.equal(got[0]!.data.source, 'push');
  assert.match(String(got[1]!.data.url), /^http:\/\/hooked\.localhost:\d+/);
  assert.deepEqual(got[2]!.data, { ref: 'refs/heads/main', before: '0'.repeat(40), after: await revOf(repo, 'HEAD'), created: true, deleted: false, pusher: { email: 'alice@example.com' } });

  await commitFixture(repo, 'node-boot-fails');
  const failed = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'hooked'), 'main');
  assert.notEqual(failed.code, 0, pushOutput(failed));
  const more = await deliveries(3, 2);
  assert.deepEqual(more.map((g) => g.event), ['release.created', 'deploy.failed']);
  assert.equal((more[1]!.data.release as { version: number }).version, 2);
  assert.match(String(more[1]!.data.error), /did not start/);

  // The receiver sees a request before its attempt is recorded: wait for the log's final state.
  const log = await waitFor(async () => {
    const out = await sshCli(p, alice, ['webhooks:deliveries', 'hooked']);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout.split('\n').filter((l) => / succeeded +1 +200 /.test(l)).length === 5 ? out : undefined;
  }, 10_000, 'five deliveries recorded as succeeded');
  const rows = log.stdout.split('\n').filter((l) => / (succeeded|pending|failed) /.test(l));
  assert.equal(rows.length, 5, log.stdout);
  assert.equal(receiver.received.length, 5, 'no push event for a ref the failed deploy kept back');
});
