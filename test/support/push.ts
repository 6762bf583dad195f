// test/support/push.ts — helpers for the push end-to-end tests: apps through the CLI, git pushes whose output is
// read as it arrives, fixture commits on top of a repo, and views of the remote's refs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, git, type Platform, type RunResult } from './platform.ts';
import { killGroups, processesUnder } from './processes.ts';
import { waitFor } from './wait.ts';

/**
 * A test file's cleanup: stops the platform, ends any app process still running from its data dir (so a platform
 * bug cannot leak processes past the run; push-releases.test.ts asserts that a stop leaves none), then drops its
 * schema and removes its data dir (destroy) and the given dirs.
 */
export async function stopPlatform(p: Platform | undefined, ...dirs: Array<string | undefined>): Promise<void> {
  if (p) {
    await p.stop();
    killGroups(processesUnder(p.dataDir));
    await p.destroy();
    fs.rmSync(path.dirname(p.dataDir), { recursive: true, force: true });
  }
  for (const dir of dirs) if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Creates an app owned by the user through the local CLI; throws with the CLI's output when it fails. */
export async function createApp(p: Platform, app: string, ownerEmail: string): Promise<void> {
  const r = await p.cli(['apps:create', app, '--owner', ownerEmail]);
  if (r.code !== 0) throw new Error(`apps:create ${app} failed (${r.code}): ${r.stdout}${r.stderr}`);
}

export interface TimedLine { line: string; at: number }

export interface LivePush {
  /** Every stderr line so far, with the time (ms since the push started) it arrived. */
  lines: TimedLine[];
  /** Resolves with the first line that matches; rejects after timeoutMs. */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<TimedLine>;
  /** Resolves when git exits; `at` is the exit time in ms since the start. */
  done: Promise<RunResult & { at: number }>;
  /** Kills git and everything it started (ssh, git-remote-http), as a Ctrl-C in the terminal would. */
  interrupt(signal?: NodeJS.Signals): void;
}

/**
 * Runs git in the repo (argv, no shell) in its own process group, so that interrupt() ends all of it, and records
 * each stderr line the moment it arrives.
 */
export function livePush(repo: string, env: NodeJS.ProcessEnv, ...args: string[]): LivePush {
  const started = Date.now();
  const child = spawn('git', args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: TimedLine[] = [];
  let stdout = '', stderr = '', partial = '', exited = false;
  child.stdout.on('data', (c: Buffer) => { stdout += c; });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
    const pieces = (partial + c.toString('utf8')).split(/\r\n|\r|\n/);
    partial = pieces.pop() ?? '';
    for (const line of pieces) lines.push({ line, at: Date.now() - started });
  });
  const done = new Promise<RunResult & { at: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      exited = true;
      if (partial) lines.push({ line: partial, at: Date.now() - started });
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr, at: Date.now() - started });
    });
  });
  const waitForLine = (match: RegExp, timeoutMs = 60_000) => waitFor(() => {
    const found = lines.find((l) => match.test(l.line));
    if (!found && exited) throw new Error(`git exited without printing ${match}:\n${stderr}`);
    return found;
  }, timeoutMs, `a git output line matching ${match}`);
  return {
    lines, waitForLine, done,
    interrupt(signal = 'SIGKILL') { try { process.kill(-child.pid!, signal); } catch { /* already gone */ } },
  };
}

/**
 * The push's remote lines without what build tools print themselves: under a `-----> ` step that runs npm or pip,
 * the indented lines (and blank ones) are the tool's, so only the step line stays. Everything else is the platform's.
 */
export function platformLines(remote: string[]): string[] {
  const toolSteps = /^-----> (Installing dependencies with npm|Running build script|Installing requirements with pip|Installing the project with pip)/;
  const out: string[] = [];
  let inTool = false;
  for (const line of remote) {
    if (line.startsWith('-----> ')) inTool = toolSteps.test(line);
    else if (inTool && (line === '' || line.startsWith('       '))) continue;
    out.push(line);
  }
  return out;
}

/** Replaces the repo's files with a fixture's and commits them on top of the current branch; returns the new rev. */
export async function commitFixture(repo: string, fixture: string, message = `switch to ${fixture}`): Promise<string> {
  const env = process.env;
  await git(repo, env, 'rm', '-rq', '--ignore-unmatch', '.');
  fs.cpSync(path.join(FIXTURES, fixture), repo, { recursive: true });
  return commitAll(repo, message);
}

/** Commits everything in the work tree; returns the new rev. */
export async function commitAll(repo: string, message: string, ...extra: string[]): Promise<string> {
  const added = await git(repo, process.env, 'add', '-A');
  if (added.code !== 0) throw new Error(`git add failed: ${added.stderr}`);
  const committed = await git(repo, process.env, 'commit', '-qm', message, ...extra);
  if (committed.code !== 0) throw new Error(`git commit failed: ${committed.stderr}${committed.stdout}`);
  return revOf(repo, 'HEAD');
}

/** The full rev a local ref points at. */
export async function revOf(repo: string, ref: string): Promise<string> {
  const r = await git(repo, process.env, 'rev-parse', ref);
  if (r.code !== 0) throw new Error(`git rev-parse ${ref} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The remote's refs as { ref: rev }, read with git ls-remote (extra args before the remote, e.g. --tags). */
export async function remoteRefs(repo: string, env: NodeJS.ProcessEnv, remote: string, ...args: string[]): Promise<Record<string, string>> {
  const r = await git(repo, env, 'ls-remote', ...args, remote);
  if (r.code !== 0) throw new Error(`git ls-remote failed (${r.code}): ${r.stderr}`);
  const refs: Record<string, string> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [rev, ref] = line.split('\t');
    refs[ref!] = rev!;
  }
  return refs;
}

/** Fails with the whole push output, so a wrong exit code shows why. */
export function pushOutput(r: RunResult): string {
  return `exit ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
}
