// test/support/platform.ts — end-to-end harness: starts the platform as a child process the way the README does
// (main.ts on embedded defaults; DATABASE_URL with a fresh schema when the machine's PostgreSQL is given),
// reads its ports from what it prints, and runs the real git, ssh and CLI against it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchema } from './test-schema.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/apps');

export interface RunResult { code: number; stdout: string; stderr: string }

export interface Platform {
  dataDir: string; httpPort: number; sshPort: number; routerPort: number; hostKey: string;
  /** The router's HTTPS port, when PAAS_ROUTER_TLS_PORT was set. */
  routerTlsPort?: number;
  env: NodeJS.ProcessEnv; output(): string;
  cli(args: string[], stdin?: string): Promise<RunResult>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Stops the platform and removes what it made: its data dir and, with DATABASE_URL, its schema. */
  destroy(): Promise<void>;
}

/** A fresh temp dir, removed by the caller's cleanup. Dirs are 0755 so the embedded PostgreSQL user can reach them. */
export function tempDir(prefix = 'paas-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Runs a command (argv, no shell) and collects its output. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A command that never reads stdin may exit before we close it: that EPIPE is not the command's failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}

/**
 * Starts the platform; reuses dataDir (and schema) when given, so a restart sees the same state. `entry` is a compiled
 * main.js to run instead of the sources through tsx (test/build/dist.test.ts).
 */
export async function startPlatform(opts: { dataDir?: string; schema?: string; env?: NodeJS.ProcessEnv; entry?: string } = {}): Promise<Platform> {
  const dataDir = opts.dataDir ?? path.join(tempDir(), 'data');
  const schema = opts.schema ?? `e2e_${crypto.randomBytes(4).toString('hex')}`;
  // The platform runs as `npm start` does, on its in-process bus, unless a test asks for NATS in opts.env (CI exports
  // NATS_URL for the tests that do).
  const { NATS_URL: _nats, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited, PAAS_DATA_DIR: dataDir, PAAS_HTTP_PORT: '0', PAAS_SSH_PORT: '0', PAAS_ROUTER_PORT: '0', PAAS_HOST: '127.0.0.1',
    // PAAS_DOCKER=off: local-mode tests keep their behaviour on a machine with a Docker Engine, unless they ask for it.
    PAAS_DB_SCHEMA: schema, PAAS_BOOT_TIMEOUT_MS: '15000', PAAS_LOG_LEVEL: 'warn', PAAS_DOCKER: 'off', ...opts.env,
  };
  const child = spawn(process.execPath, opts.entry ? [opts.entry] : ['--import', 'tsx', path.join(ROOT, 'main.ts')], { cwd: ROOT, env });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  await new Promise<void>((resolve, reject) => {
    const check = () => { if (/Data dir:/.test(out)) { child.stdout.off('data', check); resolve(); } };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`platform exited with ${code} before it was ready:\n${out}`)));
  });
  const port = (re: RegExp) => Number(re.exec(out)?.[1]);
  const p: Platform = {
    dataDir, env,
    httpPort: port(/HTTP \(API, git\):\s+http:\/\/localhost:(\d+)/),
    sshPort: port(/SSH \(git, CLI\):\s+ssh:\/\/git@localhost:(\d+)/),
    routerPort: port(/Router \(apps\):\s+http:\/\/<app>\.[^:/\s]+:(\d+)/),
    routerTlsPort: /Router \(HTTPS\):/.test(out) ? port(/Router \(HTTPS\):\s+https:\/\/<app>\.[^:/\s]+:(\d+)/) : undefined,
    hostKey: /host key (SHA256:\S+)/.exec(out)?.[1] ?? '',
    output: () => out,
    cli: (args, stdin) => run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli/main.ts'), ...args], { cwd: ROOT, env, stdin }),
    async stop() { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } },
    async kill() { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } },
    async destroy() {
      await p.stop();
      if (env.DATABASE_URL) await dropSchema(env.DATABASE_URL, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return p;
}

export interface TestUser { email: string; keyPath: string; token: string; sshEnv: NodeJS.ProcessEnv }

/**
 * Creates a user with an ed25519 key and an API token through the local CLI, as the README does (the password on
 * standard input). The first user created so is the platform's admin.
 */
export async function createUser(p: Platform, email: string, dir: string): Promise<TestUser> {
  const created = await p.cli(['users:create', email], 'correct-horse\n');
  if (created.code !== 0) throw new Error(`users:create failed: ${created.stderr}`);
  const keyPath = path.join(dir, `${email.split('@')[0]}_ed25519`);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', email, '-f', keyPath]);
  const added = await p.cli(['keys:add', email], fs.readFileSync(`${keyPath}.pub`, 'utf8'));
  if (added.code !== 0) throw new Error(`keys:add failed: ${added.stderr}`);
  const tok = await p.cli(['tokens:create', email]);
  const token = tok.stdout.trim().split('\n').pop()!;
  return { email, keyPath, token, sshEnv: sshEnv(keyPath) };
}

/** The environment that makes git use the real OpenSSH client with this key only. */
export function sshEnv(keyPath: string): NodeJS.ProcessEnv {
  const ssh = `ssh -i ${keyPath} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
  return { ...process.env, GIT_SSH_COMMAND: ssh, GIT_TERMINAL_PROMPT: '0' };
}

/** Copies a fixture app into a new git repo with one commit on main; returns its dir. */
export async function fixtureRepo(name: string, dir: string): Promise<string> {
  const repo = path.join(dir, `${name}-${crypto.randomBytes(3).toString('hex')}`);
  fs.cpSync(path.join(FIXTURES, name), repo, { recursive: true });
  const git = (...a: string[]) => run('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...a], { cwd: repo });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', `${name} app`);
  return repo;
}

/** Runs git in a repo with the given env. */
export function git(repo: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunResult> {
  return run('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, env });
}

export const sshRemote = (p: Platform, app: string) => `ssh://git@127.0.0.1:${p.sshPort}/${app}.git`;
export const httpRemote = (p: Platform, app: string, token: string) => `http://user:${token}@127.0.0.1:${p.httpPort}/${app}.git`;

/** The `remote:` lines of git's output, without the prefix and git's trailing padding. */
export function remoteLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('remote:')).map((l) => l.replace(/^remote: ?/, '').trimEnd());
}

/**
 * GETs an app through the router by its Host header, on a connection of its own as curl would (Node's global agent
 * keeps connections alive, and the router pins a client connection to one backend, so reuse would see one process).
 */
export function getApp(p: Platform, app: string, pathName = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: p.routerPort, path: pathName, headers: { host: `${app}.localhost` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}
