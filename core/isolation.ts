// core/isolation.ts — how tenants are kept apart on this host (PAAS_ISOLATION): each app in a bubblewrap sandbox,
// or, where bubblewrap or user namespaces are missing, single-tenant mode. Read once at boot; docs/security.md.
import { spawnSync } from 'node:child_process';

/** `sandbox`: apps and builds run in per-app bubblewrap sandboxes (Kubernetes mode: in pods). `none`: single-tenant. */
export type Isolation = 'sandbox' | 'none';
export const ISOLATION_SETTINGS = ['auto', 'sandbox', 'none'] as const;
export type IsolationSetting = typeof ISOLATION_SETTINGS[number];

export interface IsolationState {
  mode: Isolation;
  /** Why this mode, in words for the start-up banner and /readyz. */
  reason: string;
  /** Set when `auto` found no working sandbox: single-tenant by fall-back, not by choice (core/isolation-history.ts). */
  fellBack?: true;
}

/** The package that provides the sandbox, named in the single-tenant warning. */
export const SANDBOX_PACKAGE = 'bubblewrap';

/** The uid and gid the probe runs as when the platform is root: nobody, as real sandboxes run as an app's uid. */
export const PROBE_UID = 65534;

/**
 * Whether bwrap runs here and can make the namespaces the sandbox needs; undefined when it can, else why not. As root
 * it tries as nobody: root may always make user namespaces, app uids only where unprivileged ones are allowed.
 */
export function probeSandbox(bwrap = 'bwrap', asUid: number | undefined = process.getuid?.() === 0 ? PROBE_UID : undefined): string | undefined {
  const r = spawnSync(bwrap, ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent',
    '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, uid: asUid, gid: asUid, cwd: '/' });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${bwrap} is not installed` : r.error.message;
  const who = asUid === undefined ? '' : ` as an unprivileged user (uid ${asUid}), as apps run`;
  if (r.status !== 0) return `${bwrap} cannot create namespaces here${who}: ${String(r.stderr).trim() || `exit ${r.status}`}`;
  return undefined;
}

/** The start-up banner's isolation line; single-tenant mode is a warning that names the package to install. */
export function describeIsolation(isolation: IsolationState): string {
  if (isolation.mode === 'sandbox') return `per-app sandboxes (${isolation.reason})`;
  return `WARNING: single-tenant mode: apps and builds run unsandboxed, as the platform's user, and can read its data dir (${isolation.reason}); install the Debian package ${SANDBOX_PACKAGE} for per-app sandboxes`;
}

/**
 * Resolves the setting: `auto` takes the sandbox when it works, else single-tenant; `sandbox` insists (an error when it
 * cannot work, so an operator who asked for it never silently gets less); `none` is single-tenant on purpose.
 */
export function resolveIsolation(setting: IsolationSetting, mode: 'local' | 'docker' | 'kubernetes', probe: () => string | undefined = probeSandbox): IsolationState {
  if (mode === 'kubernetes') return { mode: 'sandbox', reason: 'apps and builds run in their own pods' };
  if (mode === 'docker') return { mode: 'sandbox', reason: 'apps and builds run in their own containers' };
  if (setting === 'none') return { mode: 'none', reason: 'PAAS_ISOLATION=none' };
  const problem = probe();
  if (!problem) return { mode: 'sandbox', reason: 'apps and builds run in per-app bubblewrap sandboxes' };
  if (setting === 'sandbox') throw new Error(`PAAS_ISOLATION=sandbox, but the sandbox cannot run: ${problem}. Install the Debian package ${SANDBOX_PACKAGE}`);
  return { mode: 'none', reason: `${problem}; install the Debian package ${SANDBOX_PACKAGE} for per-app sandboxes`, fellBack: true };
}
