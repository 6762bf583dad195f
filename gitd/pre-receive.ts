// gitd/pre-receive.ts — what a push does inside git's pre-receive hook: plan the refs, export the pushed tree
// from the quarantine, hand it to the controller (paas.push.received), and relay the build and deploy output
// line by line until the outcome is known. Its exit code decides whether git moves the ref.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { subjectOf } from '../core/events.ts';
import { isPaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { hasBranch } from './repos.ts';
import { isDeletion, planPush, type RefUpdate } from './refs.ts';

const exec = promisify(execFile);
const PUSH_TIMEOUT_MS = 60 * 60 * 1000;

export interface PushContext { app: string; userId: number; gitDir: string; hookEnv: Record<string, string> }
export interface PreReceiveDeps { db: Knex; bus: Bus; dataDir: string; log: Logger }
type Out = (line: string) => void;

/** Runs the pre-receive decision for one push; returns the hook's exit code. */
export async function runPreReceive(deps: PreReceiveDeps, ctx: PushContext, updates: RefUpdate[], out: Out): Promise<number> {
  try {
    const plan = planPush(updates, await hasBranch(ctx.gitDir, 'main'));
    for (const u of plan.stored) {
      const branch = u.ref.slice('refs/heads/'.length);
      out(isDeletion(u) ? `-----> Deleted branch ${branch}` : `-----> Branch ${branch} stored; only the deploy branch (main) deploys, so nothing was deployed`);
    }
    if (!plan.deploy) return 0;
    return await deployPush(deps, ctx, plan.deploy, out);
  } catch (err) {
    if (!isPaasError(err)) {
      const ref = crypto.randomUUID().slice(0, 8);
      deps.log.error({ err, app: ctx.app, ref }, 'pre-receive failed');
      out(` !     Internal error (reference ${ref}); the push was not deployed`);
      return 1;
    }
    out(` !     ${err.message}`);
    return 1;
  }
}

/** Exports the pushed revision from git's quarantine into a tarball the builder reads. */
async function exportTree(ctx: PushContext, rev: string, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...ctx.hookEnv, GIT_DIR: ctx.gitDir };
  await exec('git', ['archive', '--format=tar', '-o', file, rev], { env });
}

async function deployPush(deps: PreReceiveDeps, ctx: PushContext, update: RefUpdate, out: Out): Promise<number> {
  const buildId = crypto.randomUUID();
  const archivePath = path.join(deps.dataDir, 'archives', `${buildId}.tar`);
  await exportTree(ctx, update.newRev, archivePath);
  const outcome = waitForOutcome(deps.bus, buildId, out);
  await enqueueEvent(deps.db, 'pushReceived', {
    buildId, app: ctx.app, ref: update.ref, oldRev: update.oldRev, newRev: update.newRev, userId: ctx.userId, archivePath,
  });
  return outcome;
}

/** Relays the build's log lines and resolves with 0 once its release is live, 1 when the build or deploy failed. */
function waitForOutcome(bus: Bus, buildId: string, out: Out): Promise<number> {
  return new Promise((resolve) => {
    const subs: Array<() => void> = [];
    const finish = (code: number, line?: string) => {
      subs.forEach((u) => u());
      clearTimeout(timer);
      if (line) out(line);
      resolve(code);
    };
    const timer = setTimeout(() => finish(1, ' !     Timed out waiting for the build to finish'), PUSH_TIMEOUT_MS);
    subs.push(bus.subscribe(subjectOf('buildLog', buildId), (_s, p) => out(String(p.line))));
    subs.push(bus.subscribe(subjectOf('buildStatus', buildId), (_s, p) => {
      if (p.status === 'failed') finish(1);
    }));
    subs.push(bus.subscribe('paas.deploy.*.status', (_s, p) => {
      if (p.buildId !== buildId) return;
      if (p.status === 'succeeded') finish(0);
      if (p.status === 'failed') finish(1);
    }));
  });
}

/** Records the ref updates once git has applied them (post-receive). */
export async function runPostReceive(deps: PreReceiveDeps, ctx: PushContext, updates: RefUpdate[]): Promise<void> {
  for (const u of updates) {
    await enqueueEvent(deps.db, 'refUpdated', { app: ctx.app, ref: u.ref, oldRev: u.oldRev, newRev: u.newRev, userId: ctx.userId });
  }
}

