// runtime/local/jail.ts — starts app processes and build steps in their per-app sandbox (sandbox.ts builds the argv,
// cgroups.ts the limits), or directly in single-tenant mode; and ends a sandbox with everything in it. Used by the
// supervisor's instances, the release phase and native builds (through builders/run-step.ts's Launcher).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SpawnOptions } from 'node:child_process';
import { PaasError } from '../../core/errors.ts';
import { signalGroup } from '../../core/process-group.ts';
import type { Isolation } from '../../core/isolation.ts';
import type { Launch, LaunchRequest } from '../../builders/run-step.ts';
import { createCgroup, describeLimits, detectCgroups, type CgroupSupport } from './cgroups.ts';
import { statFields } from './proc-usage.ts';
import { ROOT_ENV, SYSTEM_DIRS, dropsUidInside, toEnvArgs, toSandboxArgv, toSandboxEnv, type Limits } from './sandbox.ts';

export type { Launch, LaunchRequest };

/** Finds a program on PATH, as spawn would; undefined when it is not there. */
export function which(program: string, searchPath: string): string | undefined {
  if (program.includes('/')) return fs.existsSync(program) ? program : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    const file = path.join(dir || '.', program);
    try { fs.accessSync(file, fs.constants.X_OK); return file; } catch { /* not in this dir */ }
  }
  return undefined;
}

/** Whether any uid may reach dir (search permission on it and every parent), as bwrap must when binding it. */
export function reachableByAll(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try { if ((fs.statSync(d).mode & 0o001) === 0) return false; } catch { return false; }
    if (d === path.dirname(d)) return true;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The dirs a sandbox must see as empty: the data dir (by its real path, as bwrap binds real paths) when a read-only
 * bind holds it (`git clone … /opt/paas` puts it at /opt/paas/data). Security boundary: it holds every app's secrets.
 */
export function maskedDirs(readOnly: readonly string[], dataDir: string): string[] {
  let real = path.resolve(dataDir);
  try { real = fs.realpathSync(real); } catch { /* made later; its path as given */ }
  return readOnly.some((dir) => isInside(real, dir)) ? [real] : [];
}

/**
 * The read-only view of the host: system dirs (symlinks kept as symlinks), plus each toolchain's install prefix when
 * it lives elsewhere (node under ~/.nvm, python under ~/.pyenv). A prefix that would show the data dir, the host's
 * home as a whole or `/` is left out (the toolchain is then missing inside, which a build reports as such). With
 * `openParents` (root), parents other users may not enter (a 0700 /root) get o+x, as bwrap binds as the app's uid.
 */
export function hostView(searchPath: string, dataDir: string, home: string, openParents = false): { readOnly: string[]; symlinks: Array<[string, string]>; skipped: string[]; opened: string[] } {
  const opened: string[] = [];
  const readOnly: string[] = [];
  const symlinks: Array<[string, string]> = [];
  for (const dir of SYSTEM_DIRS) {
    try {
      if (fs.lstatSync(dir).isSymbolicLink()) symlinks.push([fs.readlinkSync(dir), dir]);
      else readOnly.push(dir);
    } catch { /* not on this host */ }
  }
  const skipped: string[] = [];
  const tools = [process.execPath, ...['node', 'npm', 'npx', 'python3', 'pip3', 'go'].map((t) => which(t, searchPath))];
  for (const tool of tools) {
    if (!tool) continue;
    const prefix = path.dirname(path.dirname(fs.realpathSync(tool)));
    if (skipped.includes(prefix)) continue;
    if ([...readOnly, ...symlinks.map((s) => s[1])].some((dir) => isInside(prefix, dir))) continue;
    if (prefix === '/' || isInside(dataDir, prefix) || isInside(home, prefix)) { skipped.push(prefix); continue; }
    if (openParents && !reachableByAll(prefix) && (fs.statSync(prefix).mode & 0o005) === 0o005) opened.push(...openPathTo(path.dirname(prefix)));
    if (reachableByAll(prefix)) readOnly.push(prefix);
    else skipped.push(prefix);
  }
  return { readOnly, symlinks, skipped, opened };
}

/**
 * Gives `dir` and each parent search permission for other users (o+x, never read), as bwrap needs to bind an app's
 * slug when it starts as the app's uid. Returns the dirs it changed. Apps never see these paths: only what is bound.
 */
export function openPathTo(dir: string, stopAt = '/'): string[] {
  const changed: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = fs.statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(d, mode | 0o001);
      changed.push(d);
    }
    if (d === path.resolve(stopAt) || d === path.dirname(d)) return changed;
  }
}

export interface JailOptions {
  mode: Isolation;
  /** The data dir: the app dirs under it are made enterable (o+x) down to each slug, which is the app's own, 0700. */
  dataDir: string;
  limits: Limits;
  cgroups: CgroupSupport;
  readOnly: string[];
  symlinks: Array<[string, string]>;
  prlimit: string;
  bwrap: string;
  /** Drops from root to the app's uid after its cgroups are joined (util-linux). */
  setpriv: string;
}

let counter = 0;

function openDir(dir: string): number {
  return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
}

/** An fd of an unlinked root-only file (0600, made new in `dir`) holding `data` from offset 0, for bwrap's `--args`. */
function openSealed(dir: string, data: Buffer): number {
  const file = path.join(dir, `.paas-env-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(file, 'wx+', 0o600);
  fs.unlinkSync(file);
  fs.writeSync(fd, data, 0, data.length, 0); // positional: the fd's offset stays at 0 for bwrap to read from
  return fd;
}

/** Runs processes as configured: per-app sandboxes (`sandbox`) or plain child processes (`none`, single-tenant). */
export class Jail {
  /** Whether the platform can give each app its own uid (it runs as root); otherwise namespaces alone separate apps. */
  readonly switchesUsers = process.getuid?.() === 0;

  /** What sandboxes see as empty dirs (maskedDirs). */
  readonly masked: string[];

  constructor(readonly opts: JailOptions) {
    this.masked = maskedDirs(opts.readOnly, opts.dataDir);
  }

  /** The jail of this host: its system dirs, toolchains and cgroups, read once at boot. */
  static forHost(mode: Isolation, limits: Limits, searchPath: string, dataDir: string): { jail: Jail; notes: string[] } {
    const root = process.getuid?.() === 0;
    const view = hostView(searchPath, dataDir, os.homedir(), mode === 'sandbox' && root);
    const cgroups: CgroupSupport = mode === 'sandbox' ? detectCgroups() : { kind: 'none', reason: 'single-tenant mode' };
    const jail = new Jail({
      mode, dataDir, limits, cgroups, readOnly: view.readOnly, symlinks: view.symlinks,
      prlimit: which('prlimit', searchPath) ?? 'prlimit', bwrap: which('bwrap', searchPath) ?? 'bwrap',
      setpriv: which('setpriv', searchPath) ?? 'setpriv',
    });
    const notes = mode === 'none' ? [] : [`limits: ${describeLimits(cgroups, limits)}`];
    if (mode === 'sandbox' && jail.switchesUsers) {
      fs.mkdirSync(dataDir, { recursive: true });
      const changed = openPathTo(dataDir);
      if (changed.length) notes.push(`made ${changed.join(', ')} enterable by other users (o+x, not readable), so sandboxes can bind app dirs under ${dataDir}`);
    }
    if (mode === 'sandbox' && !jail.switchesUsers) notes.push('not running as root: every app shares the platform\'s uid; namespaces alone keep them apart');
    if (view.opened.length) notes.push(`made ${view.opened.join(', ')} enterable by other users (o+x, not readable), so sandboxes can bind the toolchains under them`);
    for (const dir of view.skipped) notes.push(`toolchain under ${dir} is not shown to sandboxes (it holds the data or home dir, or other users may not enter it)`);
    return { jail, notes };
  }

  /** Single-tenant: processes run as plain children of the platform. */
  static plain(): Jail {
    return new Jail({ mode: 'none', dataDir: '/', limits: { memoryMb: 0, pids: 0, nofile: 0 }, cgroups: { kind: 'none', reason: 'single-tenant mode' }, readOnly: [], symlinks: [], prlimit: 'prlimit', bwrap: 'bwrap', setpriv: 'setpriv' });
  }

  get sandboxed(): boolean {
    return this.opts.mode === 'sandbox';
  }

  /** Where the app's directory appears to its processes: /app in a sandbox, its own path otherwise. */
  appRoot(hostDir: string): string {
    return this.sandboxed ? '/app' : hostDir;
  }

  /** Makes a directory the app's own (its uid, 0700): its slug, build dir or cache. No-op unless uids are switched. */
  async own(dir: string, uid: number | undefined): Promise<void> {
    if (!this.sandboxed || !this.switchesUsers || uid === undefined) return;
    const { execFile } = await import('node:child_process');
    await new Promise<void>((resolve, reject) => execFile('chown', ['-R', '--no-dereference', `${uid}:${uid}`, '--', dir], (err) => (err ? reject(err) : resolve())));
    fs.chmodSync(dir, 0o700);
    openPathTo(path.dirname(dir), this.opts.dataDir);
  }

  /**
   * Makes a slug the app's own if it is not yet (slugs built before sandboxes were root's): one stat when it already
   * is, a recursive chown once when not. A missing dir is left for the start to report.
   */
  async adopt(dir: string, uid: number | undefined): Promise<void> {
    if (!this.sandboxed || !this.switchesUsers || uid === undefined) return;
    let owner: number;
    try { owner = fs.statSync(dir).uid; } catch { return; }
    if (owner !== uid) await this.own(dir, uid);
  }

  /** What to spawn for one process; call launch.started() right after spawn and launch.finish() once it has exited. */
  plan(req: LaunchRequest): Launch {
    const base: SpawnOptions = { detached: true, stdio: ['ignore', 'pipe', 'pipe'] };
    if (!this.sandboxed) {
      return { file: req.argv[0] ?? '/bin/false', args: req.argv.slice(1), options: { ...base, cwd: req.dir, env: req.env }, started: () => {}, finish: () => ({ oom: false }) };
    }
    // Security boundary: as root, a sandbox without the app's own uid would run as root in its namespace; refuse it.
    if (this.switchesUsers && req.uid === undefined) throw new PaasError('E_INTERNAL', `${req.app} has no uid of its own to run as`);
    const uid = this.switchesUsers ? req.uid : undefined;
    const fds = [openDir(req.dir)];
    if (req.cacheDir) fds.push(openDir(req.cacheDir));
    const name = `${req.app}.${req.name}.${process.pid}.${++counter}`;
    const env = toSandboxEnv(req.env);
    // Security boundary: with cgroups the wrapper starts as root (to join them) and setpriv drops to the app's uid
    // before bwrap; until then it holds a fixed env, and bwrap reads the app's from ENV_FD (dropsUidInside).
    const asRoot = uid !== undefined && this.opts.cgroups.kind !== 'none'; // what dropsUidInside says once they exist
    let cgroup;
    let envFd: number | undefined;
    const limits = req.memoryMb ? { ...this.opts.limits, memoryMb: req.memoryMb } : this.opts.limits; // the plan's memory
    try {
      cgroup = createCgroup(this.opts.cgroups, name, limits);
      if (asRoot) fds.push(envFd = openSealed(this.opts.dataDir, toEnvArgs(env)));
    } catch (err) {
      fds.forEach((fd) => fs.closeSync(fd));
      cgroup?.remove();
      throw err;
    }
    const spec = {
      uid, cache: req.cacheDir !== undefined, readOnly: this.opts.readOnly, masked: this.masked, symlinks: this.opts.symlinks,
      argv: req.argv, limits, cgroupProcs: cgroup?.procs ?? [],
    };
    const argv = toSandboxArgv(spec, this.opts.bwrap, this.opts.prlimit, this.opts.setpriv);
    let closed = false;
    const started = () => { if (!closed) fds.forEach((fd) => fs.closeSync(fd)); closed = true; };
    return {
      file: argv[0] as string, args: argv.slice(1),
      // cwd: the app's dir, so the boot-time orphan sweep (orphans.ts, by cwd) finds bwrap; inside, it is /app.
      options: { ...base, cwd: req.dir, env: asRoot ? { ...ROOT_ENV } : env, uid: asRoot ? undefined : uid, gid: asRoot ? undefined : uid, stdio: ['ignore', 'pipe', 'pipe', fds[0], req.cacheDir ? fds[1] : 'ignore', envFd ?? 'ignore'] },
      started,
      notFound: (line) => line === `bwrap: execvp ${req.argv[0]}: No such file or directory`,
      finish: () => {
        started();
        const oom = cgroup?.oomKilled() ?? false;
        cgroup?.remove();
        return { oom };
      },
    };
  }
}

/** The pids of every process below `pid` (children, theirs …), from /proc; empty where there is no /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  let names: string[] = [];
  try { names = fs.readdirSync('/proc'); } catch { return []; }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(statFields(fs.readFileSync(`/proc/${name}/stat`, 'utf8'))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch { /* ended while we looked */ }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) for (const c of children.get(queue.shift() as number) ?? []) { out.push(c); queue.push(c); }
  return out;
}

/**
 * Signals what a sandboxed process runs. SIGKILL goes to bwrap itself: its sandbox dies with it (--die-with-parent),
 * and with the sandbox's PID 1 the kernel kills every process in the namespace, setsid or not. Other signals go to
 * the processes inside (bwrap would die of them at once, giving the app no time to finish); bwrap's init ignores them.
 */
export function signalSandbox(pid: number, signal: NodeJS.Signals): void {
  if (signal === 'SIGKILL') return signalGroup(pid, 'SIGKILL');
  for (const child of descendantsOf(pid)) {
    try { process.kill(child, signal); } catch { /* already gone */ }
  }
}
