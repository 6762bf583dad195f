// test/support/faults.ts — helpers for the fault tests (their pushes are push.ts livePush, interrupted like a
// Ctrl-C): a direct view of a platform's database schema, and checks on the bare repo gitd keeps.
import path from 'node:path';
import type { Knex } from 'knex';
import { openDb } from '../../core/db/connect.ts';
import { run, type Platform, type RunResult } from './platform.ts';
import { waitFor } from './wait.ts';
import type { LivePush } from './push.ts';

/** The platform's database, in its schema (the test closes it). */
export function platformDb(p: Platform): Promise<Knex> {
  return openDb(p.env.DATABASE_URL!, p.env.PAAS_DB_SCHEMA!);
}

/** The bare repo gitd keeps for an app. */
export function bareRepo(p: Platform, app: string): string {
  return path.join(p.dataDir, 'repos', `${app}.git`);
}

/** What a ref of the bare repo points at, or '' when it does not exist. */
export async function bareRef(p: Platform, app: string, ref = 'refs/heads/main'): Promise<string> {
  const r = await run('git', ['--git-dir', bareRepo(p, app), 'rev-parse', '--verify', '--quiet', ref]);
  return r.code === 0 ? r.stdout.trim() : '';
}

/** git fsck --full on the bare repo; returns its output when it is not clean. */
export async function fsckProblems(p: Platform, app: string): Promise<string | undefined> {
  const r = await run('git', ['--git-dir', bareRepo(p, app), 'fsck', '--full', '--no-dangling']);
  return r.code === 0 && !/error|missing|corrupt|broken/i.test(r.stdout + r.stderr) ? undefined : `exit ${r.code}\n${r.stdout}${r.stderr}`;
}

/** Where a push's work ended, from the database: its build, and the first release that build made. */
export interface PushState { build?: { id: string; number: number; status: string; rev: string; error: string | null }; release?: { id: number; version: number; status: string; error: string | null } }

/** The build of a pushed revision (the latest one for that rev) and its first release. */
export async function pushState(db: Knex, app: string, rev: string): Promise<PushState> {
  const build = await db('builds').join('apps', 'apps.id', 'builds.app_id').where({ 'apps.name': app, 'builds.rev': rev })
    .orderBy('builds.number', 'desc').first('builds.id', 'builds.number', 'builds.status', 'builds.rev', 'builds.error');
  if (!build) return {};
  const release = await db('releases').where({ build_id: build.id }).orderBy('version').first('id', 'version', 'status', 'error');
  return { build, release };
}

/** True once the push's work is over: its build failed, or its release succeeded or failed. */
export function settled(s: PushState): boolean {
  if (!s.build || s.build.status === 'building') return false;
  if (s.build.status === 'failed') return true;
  return !!s.release && (s.release.status === 'succeeded' || s.release.status === 'failed');
}

/** The push's result, or a failure naming what it printed so far when it has not ended within timeoutMs. */
export async function finished(push: LivePush, timeoutMs = 90_000): Promise<RunResult & { at: number }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if ('interrupt' in push) push.interrupt(); // a hung push must not outlive the test
      reject(new Error(`the push did not end within ${timeoutMs} ms; it printed:\n${push.lines.map((l) => `${l.at} ${l.line}`).join('\n')}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([push.done, late]);
  } finally {
    clearTimeout(timer);
  }
}
