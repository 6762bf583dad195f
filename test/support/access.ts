// test/support/access.ts — helpers for the access e2e tests: the real OpenSSH client against the platform, the JSON
// API, and snapshots of what a refused request must leave unchanged.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, type Platform, type RunResult, type TestUser } from './platform.ts';

/** The ssh options the platform's own docs use, plus the ones the ssh2 test suite uses to stay non-interactive. */
export function sshOptions(p: Platform, keyPath: string, logLevel = 'ERROR'): string[] {
  return ['-p', String(p.sshPort), '-i', keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', `LogLevel=${logLevel}`];
}

/** Quotes one word for the remote command line the way a POSIX shell would read it back. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs `ssh [options] git@127.0.0.1 -- <command>` with the raw command string exactly as given. */
export function sshRaw(p: Platform, keyPath: string, command: string | undefined, opts: { stdin?: string; options?: string[] } = {}): Promise<RunResult> {
  const args = [...sshOptions(p, keyPath), ...(opts.options ?? []), 'git@127.0.0.1', ...(command === undefined ? [] : ['--', command])];
  return run('ssh', args, { stdin: opts.stdin });
}

/** Runs a CLI command over SSH as the user; each word is quoted, so spaces and empty words arrive intact. */
export function sshCli(p: Platform, user: TestUser | string, argv: string[], stdin?: string): Promise<RunResult> {
  return sshRaw(p, typeof user === 'string' ? user : user.keyPath, argv.map(shellQuote).join(' '), { stdin });
}

export interface ApiResult { status: number; contentType: string; body: any }

/** Calls the JSON API with an optional bearer token. */
export async function api(p: Platform, method: string, urlPath: string, token?: string, body?: unknown): Promise<ApiResult> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${urlPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep the text for the assertion message */ }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: parsed };
}

/** Every app's name, as the given admin sees them through the API (admins see all apps). */
export async function allAppNames(p: Platform, adminToken: string): Promise<string[]> {
  const r = await api(p, 'GET', '/api/apps', adminToken);
  if (r.status !== 200) throw new Error(`GET /api/apps as admin: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as Array<{ name: string }>).map((a) => a.name).sort();
}

/** The entries of $PAAS_DATA_DIR/repos (one <app>.git per app that was ever used), sorted. */
export function repoEntries(p: Platform): string[] {
  const root = path.join(p.dataDir, 'repos');
  return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
}

/** The refs of an app's bare repo, read straight from the data dir ("" when it has none). */
export async function repoRefs(p: Platform, app: string): Promise<string> {
  const r = await run('git', ['--git-dir', path.join(p.dataDir, 'repos', `${app}.git`), 'for-each-ref']);
  return r.stdout;
}

/** Resolves once `file` exists (or, with gone, no longer exists), watching its directory; rejects after timeoutMs. */
export function waitForFile(file: string, opts: { gone?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const { gone = false, timeoutMs = 10_000 } = opts;
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(path.dirname(file), () => check());
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${file} ${gone ? 'still exists' : 'did not appear'} after ${timeoutMs} ms`));
    }, timeoutMs);
    function check(): void {
      if (fs.existsSync(file) === gone) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    check();
  });
}

export interface BackgroundSsh { stderr(): string; waitFor(re: RegExp): Promise<void>; exited: Promise<number>; stop(): Promise<number> }

/** Starts a long-running ssh (e.g. -N -L) at debug level, so its progress can be waited for; the caller stops it. */
export function sshBackground(p: Platform, keyPath: string, options: string[]): BackgroundSsh {
  const child = spawn('ssh', [...sshOptions(p, keyPath, 'DEBUG1'), ...options, 'git@127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const waiters: Array<{ re: RegExp; resolve(): void }> = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    err += c;
    for (const w of waiters.filter((x) => x.re.test(err))) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 255)));
  return {
    stderr: () => err,
    exited,
    waitFor: (re) => new Promise<void>((resolve, reject) => {
      if (re.test(err)) { resolve(); return; }
      waiters.push({ re, resolve });
      void exited.then((code) => reject(new Error(`ssh exited with ${code} before printing ${re}:\n${err}`)));
    }),
    async stop() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); return exited; },
  };
}

/** Replaces every occurrence of an app name, so refusals for two different names can be compared. */
export function withoutName(text: string, name: string): string {
  return text.split(name).join('<APP>');
}
