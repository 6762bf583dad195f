// runtime/local/sandbox.ts — the security boundary of the embedded mode: turns one app process or build step into the
// argv of a bubblewrap sandbox (own uid, PID/IPC/UTS namespaces, no capabilities, only /app, /tmp and read-only system
// dirs in view) wrapped in its limits. Pure: no I/O; jail.ts spawns what it builds. docs/security.md, "Sandbox".

/** Per-process limits (core/config.ts appLimits). */
export interface Limits { memoryMb: number; pids: number; nofile: number }

/**
 * One sandboxed process. The app's directories arrive as fds the platform opened, so no path of the data dir is
 * named in the (world-readable) argv; bwrap, as the app's uid, still needs search permission on their parents.
 */
export interface SandboxSpec {
  /** The app's own uid/gid; undefined when the platform cannot switch users (not root): namespaces only. */
  uid?: number;
  /** Whether the child has the app's build cache at CACHE_FD, bound read-write at /cache (build steps only). */
  cache: boolean;
  /** Host dirs bound read-only at the same path (system dirs and toolchains); bwrap must reach them as the app's uid. */
  readOnly: readonly string[];
  /** Dirs inside a read-only bind that show as empty (the data dir, when it lives under /opt or /usr). */
  masked: readonly string[];
  /** Symlinks to create, [target, path] (merged-/usr systems: /bin -> usr/bin). */
  symlinks: readonly (readonly [string, string])[];
  /** What runs inside, as argv; a Procfile command arrives as ['/bin/sh', '-c', command]. */
  argv: readonly string[];
  limits: Limits;
  /** cgroup.procs files the process joins before the sandbox starts (empty: rlimits carry the memory limit). */
  cgroupProcs: readonly string[];
}

/** The fds the child gets: the app's dir, then its cache (or nothing). */
export const APP_FD = 3;
export const CACHE_FD = 4;
/** Where bwrap reads the app's environment (`--args`) when the wrapper starts as root (dropsUidInside). */
export const ENV_FD = 5;

/** The wrapper's own environment when it starts as root: fixed, so no tenant variable (LD_PRELOAD …) reaches a root process. */
export const ROOT_ENV: Readonly<Record<string, string>> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** The app's environment as bwrap arguments, NUL-separated for `--args ENV_FD`: a clean env, then each variable. */
export function toEnvArgs(env: Record<string, string>): Buffer {
  const args = ['--clearenv', ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v])];
  return Buffer.from(args.map((a) => `${a}\0`).join(''));
}

/**
 * Sets the open-files limit ($1), joins each cgroup.procs given before `--`, then execs the rest: one small shell
 * instead of prlimit and a shell, as each exec adds to every start. As root it runs as root (under cgroup v2, moving a
 * process needs write access to the common ancestor's cgroup.procs, which is root's) and the rest starts with setpriv,
 * which drops to the app's uid right before bwrap. Constant: no input of a tenant is ever part of it.
 */
export const CGROUP_JOIN_SCRIPT = 'ulimit -n "$1" || exit 125; shift; while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/** Whether the process is spawned as root and drops to the app's uid itself (setpriv, after joining its cgroups). */
export function dropsUidInside(spec: Pick<SandboxSpec, 'uid' | 'cgroupProcs'>): boolean {
  return spec.uid !== undefined && spec.cgroupProcs.length > 0;
}

/** The bubblewrap arguments of the sandbox (before `--` and the command). */
export function toBwrapArgs(spec: SandboxSpec): string[] {
  const args = [
    // --disable-userns (bwrap >= 0.8, needs --unshare-user): no nested user namespace, the kernel's most-attacked surface.
    '--unshare-user', '--disable-userns', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '--hostname', 'app',
  ];
  // Started as root, the wrapper holds a fixed env; the app's comes from a file only root could write, not from argv.
  if (dropsUidInside(spec)) args.push('--args', String(ENV_FD));
  for (const dir of spec.readOnly) args.push('--ro-bind', dir, dir);
  for (const [target, link] of spec.symlinks) args.push('--symlink', target, link);
  // Security boundary: an empty tmpfs over the data dir, after the binds that would show it.
  for (const dir of spec.masked) args.push('--tmpfs', dir, '--remount-ro', dir);
  // /tmp is RAM: it holds no more than the app's memory limit (under rlimits nothing else would bound it).
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(spec.limits.memoryMb * 1024 * 1024), '--tmpfs', '/tmp', '--bind-fd', String(APP_FD), '/app');
  if (spec.cache) args.push('--bind-fd', String(CACHE_FD), '/cache');
  // The sandbox's own root (a tmpfs bwrap made) is read-only too: only /app and /tmp take writes.
  args.push('--remount-ro', '/', '--chdir', '/app');
  return args;
}

/**
 * The full argv (argv[0] is the program), then bwrap and the command. With cgroups (memory, pids): a constant shell
 * script sets the open-files limit and joins them, then (with an app uid) setpriv drops to that uid and no supplementary
 * groups. Without: prlimit sets open files, processes per uid (when the app has its own uid, RLIMIT_NPROC caps the app
 * as a whole) and the address space, spawned as the app's uid. Nothing here is a shell string built from input, and
 * the environment travels in the process's env, not its (world-readable) argv.
 */
export function toSandboxArgv(spec: SandboxSpec, bwrap = 'bwrap', prlimit = 'prlimit', setpriv = 'setpriv'): string[] {
  const { limits } = spec;
  const inside = [bwrap, ...toBwrapArgs(spec), '--', ...spec.argv];
  if (dropsUidInside(spec)) inside.unshift(setpriv, `--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--clear-groups', '--');
  if (spec.cgroupProcs.length > 0) return ['/bin/sh', '-c', CGROUP_JOIN_SCRIPT, 'paas-sandbox', String(limits.nofile), ...spec.cgroupProcs, '--', ...inside];
  const rlimits = [`--nofile=${limits.nofile}:${limits.nofile}`];
  if (spec.uid !== undefined) rlimits.push(`--nproc=${limits.pids}:${limits.pids}`);
  // The address space is the one memory limit left; V8 reserves far more than it uses, hence 4x.
  rlimits.push(`--as=${limits.memoryMb * 4 * 1024 * 1024}`);
  return [prlimit, ...rlimits, ...inside];
}

/** System dirs a sandbox sees read-only; missing ones are left out by the caller. /etc holds no secret an app uid may read. */
export const SYSTEM_DIRS = ['/usr', '/etc', '/opt', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'] as const;

/** The environment inside: HOME and the working dir are /app, as on Heroku and Dokku; TMPDIR is the private /tmp. */
export function toSandboxEnv(env: Record<string, string>): Record<string, string> {
  return { ...env, HOME: '/app', TMPDIR: '/tmp', PWD: '/app' };
}
