// core/names.ts — the security boundary for names users type: app names (used in paths, hosts and repo
// names), config keys, domains and emails. Everything that reaches the filesystem or a shell goes through here.
import { PaasError } from './errors.ts';

const APP_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const CONFIG_KEY = /^[A-Z_][A-Z0-9_]*$/;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^\s@<>"'`]+@[^\s@<>"'`]+\.[^\s@<>"'`]+$/;

/** The name if it is a DNS label (1-63 lowercase letters, digits and hyphens), else `code` naming what it names. */
function parseLabel(raw: unknown, code: 'E_APP_NAME_INVALID' | 'E_PROJECT_NAME_INVALID', what: string): string {
  const name = typeof raw === 'string' ? raw : '';
  if (!APP_NAME.test(name)) {
    const shown = name === '' ? 'An empty name' : `"${name.slice(0, 80)}"`;
    throw new PaasError(code, `${shown} is not a valid ${what} name: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit`);
  }
  return name;
}

/** Returns the app name if it is a DNS label, else throws E_APP_NAME_INVALID. */
export function parseAppName(raw: unknown): string {
  return parseLabel(raw, 'E_APP_NAME_INVALID', 'app');
}

/** Returns the project name if it is a DNS label, as app names are (projects may name hosts one day), else E_PROJECT_NAME_INVALID. */
export function parseProjectName(raw: unknown): string {
  return parseLabel(raw, 'E_PROJECT_NAME_INVALID', 'project');
}

/**
 * Names the platform keeps for itself: its own hosts (`paas.<base domain>` is the chart's web host), well-known service
 * and mail-autoconfiguration hosts a browser or mail client trusts (wpad, autoconfig), and the dashboard's words. An
 * app with one of these names would be served at `<name>.<base domain>`.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'paas', 'www', 'api', 'admin', 'administrator', 'git', 'ssh', 'dashboard', 'console',
  'assets', 'auth', 'login', 'signin', 'signup', 'account', 'accounts', 'root', 'system', 'status', 'health',
  'registry', 'builder', 'controller', 'gitd', 'router', 'ingress', 'localhost', 'mail', 'smtp', 'imap', 'pop',
  'pop3', 'mx', 'ns', 'ns1', 'ns2', 'ftp', 'wpad', 'isatap', 'autoconfig', 'autodiscover', 'mta-sts', 'webmail',
]);

/** parseAppName for a new app: also refuses the reserved names (E_APP_NAME_RESERVED). Existing apps keep theirs. */
export function parseNewAppName(raw: unknown): string {
  const name = parseAppName(raw);
  if (RESERVED_NAMES.has(name)) {
    throw new PaasError('E_APP_NAME_RESERVED', `"${name}" is reserved by the platform (it would be served at ${name}.<base domain>); pick another name`);
  }
  return name;
}

/** Turns a repo path from git ("/app.git", "app.git", "~/app", "'app.git'") into the app name, refusing anything else. */
export function parseRepoPath(raw: string): string {
  let p = raw.trim();
  if (p.startsWith('/')) p = p.slice(1);
  if (p.endsWith('/')) p = p.slice(0, -1);
  if (p.endsWith('.git')) p = p.slice(0, -4);
  if (!APP_NAME.test(p)) {
    throw new PaasError('E_REPO_PATH_INVALID', `"${raw.slice(0, 80)}" is not a repository here: use <app>.git, for example git@host:myapp.git`);
  }
  return p;
}

/** Returns the config key if it matches [A-Z_][A-Z0-9_]*, else throws E_CONFIG_KEY_INVALID. */
export function parseConfigKey(raw: string): string {
  if (!CONFIG_KEY.test(raw)) {
    throw new PaasError('E_CONFIG_KEY_INVALID', `"${raw.slice(0, 80)}" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL`);
  }
  return raw;
}

/** Returns the lowercased hostname if every label is a DNS label, else throws E_DOMAIN_INVALID. */
export function parseHostname(raw: string): string {
  const host = raw.trim().toLowerCase();
  const labels = host.split('.');
  if (host.length > 253 || labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l))) {
    throw new PaasError('E_DOMAIN_INVALID', `"${raw.slice(0, 80)}" is not a valid hostname, for example www.example.com`);
  }
  return host;
}

/** Returns the trimmed, lowercased email, else throws E_EMAIL_INVALID. */
export function parseEmail(raw: unknown): string {
  const email = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (email.length > 254 || !EMAIL.test(email)) throw new PaasError('E_EMAIL_INVALID', `"${String(raw).slice(0, 80)}" is not a valid email address`);
  return email;
}
