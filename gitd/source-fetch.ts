// gitd/source-fetch.ts — fetches one branch of an app's connected repository into a temporary ref of the app's bare
// repo (issue 13 §5). Security boundary: the URL was validated (core/git-source.ts), and git runs from an argv array
// with only the allowed transports (GIT_ALLOW_PROTOCOL), no prompts, no system or user config, a timeout, and a cap
// on the bytes the fetch may add to the repo; ssh uses the app's own deploy key and known_hosts file. Right before
// each fetch the host is resolved and checked again (core/git-source-target.ts), and git is pinned to that address.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dirBytes } from '../core/app-disk.ts';
import { PaasError } from '../core/errors.ts';
import { formatMb } from '../core/git-limits.ts';
import { allowedProtocols, parseRepoUrl } from '../core/git-source.ts';
import { checkSourceHost, pinArgs, type Resolver } from '../core/git-source-target.ts';
import { parseAppName } from '../core/names.ts';

export interface FetchRequest {
  dataDir: string; app: string; gitDir: string; url: string; branch: string; targetRef: string;
  deployKey: string; PATH: string; maxBytes: number; timeoutMs: number;
  /** PAAS_GIT_SOURCES_ALLOW_PRIVATE: whether non-public hosts may be fetched from (never metadata addresses). */
  allowPrivate: boolean;
  /** Resolves the host (the system's resolver by default; tests pass their own). */
  resolve?: Resolver;
}

/** Where an app's deploy key file and known_hosts live: $PAAS_DATA_DIR/git-sources/<app>/ (0700). */
export function sourceDir(dataDir: string, app: string): string {
  return path.join(dataDir, 'git-sources', parseAppName(app));
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The environment git fetches in: nothing of the platform's own environment, config or credentials. */
function fetchEnv(req: FetchRequest, sshPin: string[]): NodeJS.ProcessEnv {
  const dir = sourceDir(req.dataDir, req.app);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, 'deploy_key');
  fs.writeFileSync(keyFile, req.deployKey, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  const knownHosts = path.join(dir, 'known_hosts');
  // GIT_SSH_COMMAND is run by a shell: every path in it is quoted (they are the platform's own, under its data dir).
  const ssh = ['ssh', '-F', '/dev/null', '-i', quote(keyFile), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${quote(knownHosts)}`, '-o', 'ConnectTimeout=20', ...sshPin.map(quote)].join(' ');
  return {
    PATH: req.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: allowedProtocols.join(':'), GIT_SSH_COMMAND: ssh, GIT_ASKPASS: 'false', SSH_ASKPASS: 'false', LANG: 'C',
  };
}

/** The last lines git printed, for the delivery log (credentials never reach a URL, so none are in them). */
const tailOf = (stderr: string) => stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 500);

/** Fetches `branch` into `targetRef` from the checked, pinned address; resolves with the commit id, or throws E_SOURCE_URL_REFUSED or E_SOURCE_FETCH_FAILED. */
export async function fetchSource(req: FetchRequest): Promise<string> {
  const fail = (why: string) => new PaasError('E_SOURCE_FETCH_FAILED', `Could not fetch ${req.branch} from ${req.url}: ${why}`);
  const repo = parseRepoUrl(req.url);
  const target = await checkSourceHost(repo, req.allowPrivate, req.resolve);
  if (!target) throw fail(`the host ${repo.host} does not resolve`);
  const pin = pinArgs(target);
  const args = ['--git-dir', req.gitDir, '-c', 'credential.helper=', '-c', 'transfer.fsckObjects=true', '-c', 'protocol.file.allow=never', ...pin.gitConfig,
    'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--', pin.url, `+refs/heads/${req.branch}:${req.targetRef}`];
  const before = await dirBytes(path.join(req.gitDir, 'objects'));
  const child = spawn('git', args, { env: fetchEnv(req, pin.sshOptions), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let cut: string | undefined;
  child.stderr.on('data', (d: Buffer) => { if (stderr.length < 64 * 1024) stderr += d.toString(); });
  const stop = (why: string) => { cut ??= why; child.kill('SIGKILL'); };
  const timer = setTimeout(() => stop(`the fetch took longer than ${Math.round(req.timeoutMs / 1000)} s`), req.timeoutMs);
  const watch = setInterval(() => {
    void dirBytes(path.join(req.gitDir, 'objects')).then((now) => {
      if (now - before > req.maxBytes) stop(`the fetch grew past ${formatMb(req.maxBytes)} (PAAS_MAX_PUSH_MB)`);
    });
  }, 250);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  clearInterval(watch);
  if (!cut && (await dirBytes(path.join(req.gitDir, 'objects'))) - before > req.maxBytes) cut = `the fetch is larger than ${formatMb(req.maxBytes)} (PAAS_MAX_PUSH_MB)`;
  if (cut || code !== 0) throw fail(cut ?? (tailOf(stderr) || `git exited ${code}`));
  return revOf(req.gitDir, req.targetRef);
}

/** The commit a ref points at. */
export async function revOf(gitDir: string, ref: string): Promise<string> {
  const child = spawn('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return code === 0 ? out.trim() : '';
}
