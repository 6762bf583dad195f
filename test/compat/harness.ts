// test/compat/harness.ts — what the compat checks (cases.ts) do as a user would: one platform per mode, apps from
// test/compat/apps pushed with the real git over the real OpenSSH client, and the CLI over SSH (ps, logs, run).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { sshCli } from '../support/access.ts';
import { ensureBaseImages, platformContainers, removePlatformLeftovers, testDocker } from '../support/docker-engine.ts';
import {
  createUser, getApp, git, remoteLines, ROOT, sshRemote, startPlatform, tempDir, type Platform, type RunResult, type TestUser,
} from '../support/platform.ts';
import { createApp, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

export const COMPAT_APPS = path.join(ROOT, 'test/compat/apps');

export type CompatModeName = 'local' | 'docker';

export interface CompatContext {
  mode: CompatModeName;
  /** True when a Docker Engine answers: Dockerfile apps then build in local mode too (PAAS_DOCKER=auto). */
  engine: boolean;
  p: Platform;
  user: TestUser;
  dir: string;
  docker?: Docker;
  /** Why the base images could not be made (local mode goes on without them; its Dockerfile sample then fails). */
  baseImagesProblem?: string;
}

export interface PushResult extends RunResult { lines: string[] }

export interface PsRow { process: string; type: string; state: string; version: string }

/**
 * Starts the mode's platform (base images first when an Engine is there) and creates its user. Docker mode needs
 * the base images for every sample, so it fails without them; local mode needs them only for the Dockerfile sample.
 */
export async function startCompat(mode: CompatModeName, engine: boolean): Promise<CompatContext> {
  const docker = engine ? testDocker() : undefined;
  let baseImagesProblem: string | undefined;
  if (docker) {
    try {
      await ensureBaseImages(docker);
    } catch (err) {
      if (mode === 'docker') throw err;
      baseImagesProblem = (err as Error).message;
    }
  }
  const env = mode === 'docker' ? { PAAS_RUNTIME: 'docker' } : { PAAS_DOCKER: engine ? 'auto' : 'off' };
  const dir = tempDir('paas-compat-');
  const p = await startPlatform({ env });
  let user: TestUser;
  try {
    user = await createUser(p, 'compat@example.com', dir);
  } catch (err) {
    await stopPlatform(p, dir);
    throw err;
  }
  return { mode, engine, p, user, dir, docker, baseImagesProblem };
}

/** Stops the platform and removes what it made: processes, data dir, schema and, with an Engine, its containers and images. */
export async function stopCompat(ctx: CompatContext | undefined): Promise<void> {
  if (!ctx) return;
  await ctx.p.stop();
  if (ctx.docker) await removePlatformLeftovers(ctx.docker, ctx.p.dataDir);
  await stopPlatform(ctx.p, ctx.dir);
}

/** The app's name on this platform: the sample's name (one platform per mode, so names never collide). */
export async function newApp(ctx: CompatContext, sample: string): Promise<string> {
  await createApp(ctx.p, sample, ctx.user.email);
  return sample;
}

/** Copies a sample app into a new git repo with one commit on main; returns its dir. */
export async function sampleRepo(ctx: CompatContext, sample: string): Promise<string> {
  const repo = path.join(ctx.dir, `${sample}-${crypto.randomBytes(3).toString('hex')}`);
  fs.cpSync(path.join(COMPAT_APPS, sample), repo, { recursive: true });
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-qm', `${sample} sample`]]) {
    const r = await git(repo, process.env, ...args);
    if (r.code !== 0) throw new Error(`git ${args[0]} in ${repo} failed: ${r.stderr}`);
  }
  return repo;
}

/** `git push <ssh remote> main` from the repo, with the push's remote: lines. */
export async function push(ctx: CompatContext, app: string, repo: string): Promise<PushResult> {
  const r = await git(repo, ctx.user.sshEnv, 'push', sshRemote(ctx.p, app), 'main');
  return { ...r, lines: remoteLines(r.stderr) };
}

/** A CLI command over SSH as the user (`ssh git@host <argv…>`), as Dokku users type `ssh dokku@host …`. */
export function cli(ctx: CompatContext, argv: string[], stdin?: string): Promise<RunResult> {
  return sshCli(ctx.p, ctx.user, argv, stdin);
}

/** GETs the app through the router by its Host header. */
export function get(ctx: CompatContext, app: string, pathName = '/'): Promise<{ status: number; body: string }> {
  return getApp(ctx.p, app, pathName);
}

/** `ps APP`, parsed: one row per process line (`web.1  up  v1  port …`). */
export async function ps(ctx: CompatContext, app: string): Promise<PsRow[]> {
  const r = await cli(ctx, ['ps', app]);
  if (r.code !== 0) throw new Error(`ps ${app} failed (${r.code}): ${r.stderr}`);
  return r.stdout.split('\n').flatMap((line) => {
    const m = /^(([a-z][a-z0-9_-]*)\.\d+)\s+(\S+)(?: \([^)]*\))?\s+(v\d+)/i.exec(line.trim());
    return m ? [{ process: m[1]!, type: m[2]!, state: m[3]!, version: m[4]! }] : [];
  });
}

/**
 * Waits until `ps` shows every given process up at the given version; returns all rows of that snapshot (the
 * snapshot is taken at once, so types started by the same deploy are in it too).
 */
export async function psWhenUp(ctx: CompatContext, app: string, processes: string[], version = 'v1', timeoutMs = 30_000): Promise<PsRow[]> {
  return waitFor(async () => {
    const rows = await ps(ctx, app);
    const up = processes.every((name) => rows.some((r) => r.process === name && r.state === 'up' && r.version === version));
    return up ? rows : undefined;
  }, timeoutMs, `ps ${app} to show ${processes.join(', ')} up at ${version}`);
}

/**
 * Checks that the app runs where its mode says: as the platform's containers in Docker mode (and for a Dockerfile
 * app in local mode with an Engine), as no container at all otherwise. Without it, a platform that ignored
 * PAAS_RUNTIME=docker would pass the Docker run as local mode.
 */
export async function assertRunsWhereExpected(ctx: CompatContext, app: string, dockerfileApp = false): Promise<void> {
  if (!ctx.docker) return;
  const inDocker = ctx.mode === 'docker' || dockerfileApp;
  const running = () => platformContainers(ctx.docker!, ctx.p.dataDir, { app, running: true });
  if (inDocker) await waitFor(async () => (await running()).length > 0, 15_000, `a running container of ${app} in the Engine`);
  else if ((await running()).length > 0) throw new Error(`${app} runs containers in local mode`);
}

/** Waits until `logs APP` shows a line matching re; returns that line. */
export async function logLine(ctx: CompatContext, app: string, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return waitFor(async () => {
    const r = await cli(ctx, ['logs', app, '-n', '500']);
    return r.code === 0 ? r.stdout.split('\n').find((l) => re.test(l)) : undefined;
  }, timeoutMs, `logs ${app} to show ${re}`);
}

/** The push's failure lines (` !     …`), joined, for assertions and their messages. */
export function failureLines(r: PushResult): string[] {
  return r.lines.filter((l) => l.startsWith(' !'));
}

/** The whole push, for an assertion's message. */
export function shown(r: PushResult): string {
  return `exit ${r.code}\n${r.lines.join('\n')}\n--- stderr ---\n${r.stderr}`;
}
