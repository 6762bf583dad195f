// test/support/git-host.ts — a real Git host on loopback for the webhook-deploy tests (issue 13 §5): `git daemon`
// serving bare repos over git://, repos made and pushed to with the real git, and payloads signed as GitHub does.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface GitHost {
  /** The git:// URL of a repo on this host. */
  url(repo: string): string;
  /** Makes a bare repo `<name>.git` whose `branch` (default main) holds one commit of `files`; returns its commit id. */
  createRepo(name: string, files: Record<string, string>, branch?: string): Promise<string>;
  /** Commits `files` (written over the last commit's) on `branch` and pushes it; returns the new commit id. */
  commit(name: string, files: Record<string, string>, branch?: string): Promise<string>;
  close(): Promise<void>;
}

/** GitHub's signature header value for a body: `sha256=` + hex HMAC-SHA256 of the raw bytes under the secret. */
export function signGitHub(secret: string, body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A port the kernel just handed out (bound to 0, then closed) for a server that takes only a fixed port. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Resolves once git daemon says it listens (its "Ready to rumble" line with --verbose). */
function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('Ready to rumble')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`git daemon exited (${code}) before it listened: ${seen}`)));
  });
}

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' };
const git = async (cwd: string, ...args: string[]) => (await exec('git', args, { cwd, env: gitEnv })).stdout.trim();

/** Starts `git daemon` on 127.0.0.1 over a fresh base directory. */
export async function startGitHost(): Promise<GitHost> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-git-host-'));
  const base = path.join(root, 'repos');
  fs.mkdirSync(base);
  const port = await freePort();
  const child = spawn('git', ['daemon', '--verbose', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, '--export-all', `--base-path=${base}`, base], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitReady(child);
  const work = (name: string) => path.join(root, 'work', name);
  const commit = async (name: string, files: Record<string, string>, branch = 'main') => {
    const dir = work(name);
    if (await git(dir, 'branch', '--list', branch) === '') await git(dir, 'checkout', '-q', '-b', branch);
    else await git(dir, 'checkout', '-q', branch);
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '--allow-empty', '-m', `update ${Object.keys(files).join(', ')}`);
    await git(dir, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return git(dir, 'rev-parse', 'HEAD');
  };
  return {
    url: (repo) => `git://127.0.0.1:${port}/${repo}.git`,
    async createRepo(name, files, branch = 'main') {
      const bare = path.join(base, `${name}.git`);
      await exec('git', ['init', '-q', '--bare', '--initial-branch=main', bare]);
      fs.mkdirSync(work(name), { recursive: true });
      await git(work(name), 'init', '-q', '--initial-branch=main');
      await git(work(name), 'remote', 'add', 'origin', bare);
      return commit(name, files, branch);
    },
    commit,
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
