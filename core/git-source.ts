// core/git-source.ts — the repository URL and branch an app deploys from (issue 13 §5). Security boundary: the URL
// and the branch become arguments of `git fetch` run by gitd, so only the transports below pass, and nothing that
// git could read as an option, a local path or a helper program (file://, ext::, fd::, "-…").
import { PaasError } from './errors.ts';

/** The transports git may use for a source fetch; gitd sets GIT_ALLOW_PROTOCOL to this list too. */
export const allowedProtocols = ['https', 'http', 'ssh', 'git'] as const;
export type SourceProtocol = (typeof allowedProtocols)[number];

export const MAX_URL_LENGTH = 500;
export const MAX_BRANCH_LENGTH = 200;

/** A validated URL and the endpoint git dials for it: the host (IPv6 without brackets) and the port. */
export interface RepoUrl { url: string; protocol: SourceProtocol; host: string; port: number }

/** The port each transport dials when the URL names none. */
const DEFAULT_PORTS: Record<SourceProtocol, number> = { https: 443, http: 80, ssh: 22, git: 9418 };

const refuse = (why: string) => new PaasError('E_SOURCE_URL_INVALID', `Not a repository URL this platform fetches from: ${why}`);
/** scp-style `git@host:path` (user@ required, so a Windows-ish `C:path` or a bare `host:path` is never taken). */
const SCP = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):([A-Za-z0-9._~/-]+)$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\[[0-9a-fA-F:.]+\]$/;

/** Validates a repository URL (https, http, ssh, git, or scp-style user@host:path); throws E_SOURCE_URL_INVALID. */
export function parseRepoUrl(raw: unknown): RepoUrl {
  if (typeof raw !== 'string' || raw === '') throw refuse('give a URL such as https://github.com/me/app.git or git@github.com:me/app.git');
  if (raw.length > MAX_URL_LENGTH) throw refuse(`longer than ${MAX_URL_LENGTH} characters`);
  // Control characters, spaces and backslashes have no place in a URL git is given (and would reach its argv).
  if (/[\u0000-\u0020\u007f\\]/.test(raw)) throw refuse('it holds spaces, backslashes or control characters');
  if (raw.startsWith('-')) throw refuse('it starts with "-" (git would read it as an option)');
  const scp = SCP.exec(raw);
  if (scp) {
    if (scp[3]!.startsWith('-') || scp[2]!.startsWith('-')) throw refuse('a host or path may not start with "-"');
    return { url: raw, protocol: 'ssh', host: scp[2]!, port: 22 };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(raw)) throw refuse('git remote helpers (such as ext::) are not allowed');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw refuse('use https://, http://, ssh://, git:// or user@host:path');
  }
  const protocol = u.protocol.slice(0, -1) as SourceProtocol;
  if (!allowedProtocols.includes(protocol)) throw refuse(`the ${u.protocol}// scheme is not allowed (use https, http, ssh or git)`);
  if (!u.hostname || !HOST.test(u.hostname) || u.hostname.startsWith('-')) throw refuse('it names no valid host');
  if (u.password || (u.username && protocol !== 'ssh')) {
    throw refuse('credentials in the URL are not kept (they would be shown and logged); use an ssh:// URL and the app\'s deploy key');
  }
  if (u.pathname === '/' || u.pathname === '') throw refuse('it names no repository path');
  if (u.search || u.hash) throw refuse('no query string or fragment');
  const port = u.port === '' ? DEFAULT_PORTS[protocol] : Number(u.port);
  if (port === 0) throw refuse('port 0 is not a port');
  return { url: raw, protocol, host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Validates a branch name as git's check-ref-format would, more strictly; throws E_SOURCE_URL_INVALID. */
export function parseBranch(raw: unknown): string {
  const bad = (why: string) => new PaasError('E_SOURCE_URL_INVALID', `Not a branch name: ${why}`);
  if (typeof raw !== 'string' || raw === '') throw bad('empty');
  if (raw.length > MAX_BRANCH_LENGTH) throw bad(`longer than ${MAX_BRANCH_LENGTH} characters`);
  if (!/^[A-Za-z0-9._/-]+$/.test(raw)) throw bad('use letters, digits, ".", "_", "-" and "/"');
  if (raw.startsWith('-') || raw.startsWith('/') || raw.endsWith('/') || raw.endsWith('.') || raw.endsWith('.lock')
    || raw.includes('..') || raw.includes('//') || raw.split('/').some((p) => p.startsWith('.')) || raw === 'HEAD') {
    throw bad(`"${raw}" is not a valid git branch name`);
  }
  return raw;
}
