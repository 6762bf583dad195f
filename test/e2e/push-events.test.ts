// test/e2e/push-events.test.ts — paas.ref.updated as an external consumer sees it: subscribed on the platform's NATS,
// it reads one payload for each branch that real pushes (SSH and HTTP) create, move and delete (docs/events.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { createUser, fixtureRepo, git, httpRemote, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { commitAll, createApp, pushOutput, revOf, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

const skip = !process.env.NATS_URL && 'needs NATS_URL (.ci/run sets it)';
const zeros = '0'.repeat(40);

let p: Platform;
let dir: string;
let alice: TestUser;
let nc: NatsConnection;
const received: Array<Record<string, unknown>> = [];

before(async () => {
  if (skip) return;
  dir = tempDir();
  const prefix = `ev${crypto.randomBytes(3).toString('hex')}`;
  p = await startPlatform({ env: { NATS_URL: process.env.NATS_URL, PAAS_SUBJECT_PREFIX: prefix } });
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'hooked', alice.email);
  const { connect } = await import('@nats-io/transport-node');
  nc = await connect({ servers: process.env.NATS_URL! });
  nc.subscribe(`${prefix}.paas.ref.updated`, { callback: (_err, msg) => { received.push(msg.json()); } });
  await nc.flush(); // the subscription is registered with the server before the first push
});

after(async () => {
  await nc?.close();
  await stopPlatform(p, dir);
});

/** Waits for the next payload after the `seen` ones. */
function next(seen: number): Promise<Record<string, unknown>> {
  return waitFor(() => received[seen], 15_000, `paas.ref.updated number ${seen + 1}`);
}

test('a consumer on NATS reads paas.ref.updated for a branch pushed, moved and deleted', { skip }, async () => {
  const repo = await fixtureRepo('node', dir);
  const created = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'hooked'), 'HEAD:feature');
  assert.equal(created.code, 0, pushOutput(created));
  const first = await next(0);
  assert.equal(typeof first.userId, 'number');
  assert.deepEqual(first, { v: 1, app: 'hooked', ref: 'refs/heads/feature', oldRev: zeros, newRev: await revOf(repo, 'HEAD'), userId: first.userId });

  const before = await revOf(repo, 'HEAD');
  fs.writeFileSync(path.join(repo, 'NOTES.md'), 'more\n');
  const after = await commitAll(repo, 'notes');
  const moved = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'hooked', alice.token), 'HEAD:feature');
  assert.equal(moved.code, 0, pushOutput(moved));
  assert.deepEqual(await next(1), { v: 1, app: 'hooked', ref: 'refs/heads/feature', oldRev: before, newRev: after, userId: first.userId });

  const deleted = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'hooked'), ':feature');
  assert.equal(deleted.code, 0, pushOutput(deleted));
  assert.deepEqual(await next(2), { v: 1, app: 'hooked', ref: 'refs/heads/feature', oldRev: after, newRev: zeros, userId: first.userId });
  assert.equal(received.length, 3, 'one event per branch update');
});
