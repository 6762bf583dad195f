// runtime/local/instance.ts — one running copy of a Procfile process (web.1, worker.2): spawn, boot check, crash
// restart with backoff (given up after too many crashes in a row), a clean exit left alone, stop; owned by Supervisor.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { eachLine } from '../../core/lines.ts';
import { signalGroup } from '../../core/process-group.ts';
import type { AppLog } from './app-log.ts';
import { signalSandbox, type Jail, type Launch } from './jail.ts';
import { passWebGate, type BootOutcome } from './boot-gate.ts';
import { readStartTicks } from './proc-usage.ts';
import { describeExit, toExitVerdict, toProcessEnv, type ExitInfo, type RestartPolicy } from './process-policy.ts';
import type { ProcessStatus, ReleaseSpec } from '../types.ts';
import { attr, contextWith, ROOT_CONTEXT, withSpan } from '../../core/tracing.ts';

/** What an instance needs from its runtime. */
export interface InstanceContext {
  release: ReleaseSpec;
  baseEnv: Record<string, string>;
  bootTimeoutMs: number;
  graceMs: number;
  /** Restart backoff and when to give up (process-policy.ts restartPolicy, or a test's). */
  policy: RestartPolicy;
  log: AppLog;
  /** Starts the process in the app's sandbox, or directly in single-tenant mode. */
  jail: Jail;
  allocatePort(): Promise<number>;
  releasePort(port: number): void;
  /** Called on every state change, so the runtime can put web instances in or out of the router. */
  onChange(instance: Instance): void;
}

export type { BootOutcome };

const keptLines = 20;
/** After the main process exits, how long its pipes may stay open (held by an escaped grandchild) before we stop waiting. */
const pipeCloseWaitMs = 2000;

/**
 * A supervised process: web instances count as up once they answer HTTP; after that, crashes restart with backoff
 * until too many come in a row, and an exit with code 0 ends it (state `exited`), as Dokku's on-failure policy does.
 */
export class Instance {
  state: ProcessStatus['state'] = 'starting';
  restarts = 0;
  since = new Date();
  port?: number;
  /** Why the last exit happened, when the platform knows better than the exit code ('out of memory'). */
  reason?: string;
  private child?: ChildProcess;
  private launch?: Launch;
  private exited?: Promise<ExitInfo>;
  private readonly lines: string[] = [];
  /** Becomes true once the process has been up; from then on an exit is a crash to restart, not a failed boot. */
  private supervised = false;
  private stopped?: Promise<void>;
  private consecutiveCrashes = 0;
  private upSince?: number;
  private restartTimer?: NodeJS.Timeout;
  private forceExit?: () => void;

  constructor(
    private readonly ctx: InstanceContext,
    readonly type: string,
    readonly index: number,
    private readonly command: string,
  ) {
    // Non-web processes have no boot check, so they are supervised from the first start.
    this.supervised = type !== 'web';
  }

  get app(): string { return this.ctx.release.app; }
  get version(): number { return this.ctx.release.version; }
  get dyno(): string { return `${this.type}.${this.index}`; }
  get pid(): number | undefined { return this.child?.pid; }
  /** The main process's start time (ticks since boot), read at spawn: the pid alone may be reused once it ended. */
  startTicks: number | undefined;
  /** Resolves when the current run has ended, or after ms (a deploy watches new non-web processes briefly). */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]).finally(() => clearTimeout(timer));
  }

  /** The last ~20 lines the process printed (stdout and stderr). */
  get lastLines(): string[] { return [...this.lines]; }

  /** Starts the process and waits until it is up: web when it answers HTTP (or passes app.json's startup checks), others once spawned. */
  async boot(): Promise<BootOutcome> {
    this.setState('starting');
    // Every process gets a PORT, as on Heroku; only web ones are checked and routed.
    this.port = await this.ctx.allocatePort();
    if (this.stopped) {
      this.freePort();
      return { ok: false, reason: 'was stopped while starting' };
    }
    const exited = this.spawnChild();
    if (this.type !== 'web') return this.awaitSpawn(exited);
    const abort = new AbortController();
    void exited.then(() => abort.abort());
    const port = this.port;
    return withSpan('health check', { [attr.app]: this.app, [attr.processType]: this.type, [attr.processIndex]: this.index }, () => passWebGate({
      port, healthchecks: this.ctx.release.healthchecks, bootTimeoutMs: this.ctx.bootTimeoutMs, signal: abort.signal, exited,
      stopped: () => this.stopped !== undefined,
      say: (line) => this.ctx.log.write(this.app, 'paas', `${this.dyno}: ${line}`),
      up: (how) => this.markUp(`${this.dyno}: up on port ${this.port}${how}`),
    }));
  }

  /** In a sandbox: SIGTERM to what runs inside, SIGKILL ends the sandbox with all in it; else the process group. */
  private signal(pid: number, sig: NodeJS.Signals): void {
    if (this.ctx.jail.sandboxed) signalSandbox(pid, sig);
    else signalGroup(pid, sig);
  }

  /** SIGTERM to the process group, SIGKILL after graceMs; resolves when the process is gone. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.terminate();
    return this.stopped;
  }

  private async terminate(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.setState('stopping');
    const pid = this.child?.pid;
    if (pid !== undefined && this.exited) {
      this.ctx.log.write(this.app, 'paas', `${this.dyno}: stopping with SIGTERM`);
      this.signal(pid, 'SIGTERM');
      const kill = setTimeout(() => { this.signal(pid, 'SIGKILL'); this.forceExit?.(); }, this.ctx.graceMs);
      await this.exited;
      clearTimeout(kill);
      // Members of the group that closed their output (so 'close' came early) must not outlive the instance.
      this.signal(pid, 'SIGKILL');
    }
    this.freePort();
  }

  private async awaitSpawn(exited: Promise<ExitInfo>): Promise<BootOutcome> {
    const child = this.child;
    if (!child) return { ok: false, reason: describeExit(await exited) }; // it could not be started at all
    const spawned = new Promise<boolean>((resolve) => child.once('spawn', () => resolve(true)));
    if (!(await Promise.race([spawned, exited.then(() => false)]))) return { ok: false, reason: describeExit(await exited) };
    if (!this.stopped) this.markUp(`${this.dyno}: running (pid ${child.pid})`);
    return { ok: true };
  }

  private spawnChild(): Promise<ExitInfo> {
    const { release, baseEnv } = this.ctx;
    const { jail } = this.ctx;
    // Inside a sandbox the slug is /app, so PATH entries are resolved against that.
    const env = toProcessEnv(baseEnv, { ...release, slugDir: jail.appRoot(release.slugDir) }, this.dyno, this.port);
    this.ctx.log.write(this.app, 'paas', `${this.dyno}: starting v${this.version} with command \`${this.command}\``);
    // Procfile commands are shell commands by definition; the argv array keeps us from building a shell string.
    // The process gets its own group (detached), or in a sandbox its own PID namespace, so stopping reaches all it started.
    let launch: Launch;
    try {
      launch = jail.plan({ app: this.app, name: this.dyno, uid: release.uid, dir: release.slugDir, argv: ['/bin/sh', '-c', this.command], env, memoryMb: release.memoryMb });
    } catch (err) {
      // As a spawn that failed: the exit is reported (and restarted, once supervised) like any other.
      const info: ExitInfo = { code: null, signal: null, error: (err as Error).message };
      this.exited = Promise.resolve().then(() => { this.onExit(undefined, info); return info; });
      return this.exited;
    }
    // The process outlives the deploy that started it: its output and exit belong to no trace, not the ended deploy's.
    return contextWith(ROOT_CONTEXT, () => this.startChild(launch));
  }

  private startChild(launch: Launch): Promise<ExitInfo> {
    const child = spawn(launch.file, launch.args, launch.options);
    launch.started();
    this.launch = launch;
    this.child = child;
    this.startTicks = child.pid === undefined ? undefined : readStartTicks(child.pid);
    this.readLines(child.stdout);
    this.readLines(child.stderr);
    return (this.exited = this.watchExit(child));
  }

  /** Resolves once the child has exited and its output is drained, after onExit has run. */
  private watchExit(child: ChildProcess): Promise<ExitInfo> {
    return new Promise<ExitInfo>((resolve) => {
      let exitInfo: ExitInfo | undefined;
      let settled = false;
      const settle = (info: ExitInfo): void => {
        if (settled) return;
        settled = true;
        this.onExit(child, info);
        resolve(info);
      };
      // An escaped grandchild may hold the pipes open forever; give them a moment, then stop waiting for 'close'.
      this.forceExit = () => {
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          settle(exitInfo ?? { code: null, signal: 'SIGKILL' });
        }, pipeCloseWaitMs).unref();
      };
      child.on('error', (err) => {
        if (child.pid === undefined) settle({ code: null, signal: null, error: err.message });
      });
      child.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        // While stopping, terminate() gives the rest of the group its grace period (sh may die before its child).
        if (this.stopped || child.pid === undefined) return;
        // Otherwise the dyno ends with its main process: kill whatever it left behind in its group.
        this.signal(child.pid, 'SIGKILL');
        this.forceExit?.();
      });
      // 'close' comes after the pipes are drained, so lastLines is complete when a boot failure is reported.
      child.once('close', (code, signal) => settle(exitInfo ?? { code, signal }));
    });
  }

  private readLines(stream: Readable | null): void {
    if (!stream) return;
    stream.on('error', (err) => this.ctx.log.write(this.app, 'paas', `${this.dyno}: output pipe error: ${err.message}`));
    // Pipe errors are written to the app log just above; the lines read until then are kept.
    void eachLine(stream, (line) => {
      this.lines.push(line);
      if (this.lines.length > keptLines) this.lines.shift();
      this.ctx.log.write(this.app, this.dyno, line);
    }).catch(() => undefined);
  }

  private onExit(child: ChildProcess | undefined, info: ExitInfo): void {
    if (this.child === child) this.child = undefined;
    this.reason = undefined;
    if (this.launch?.finish().oom) {
      this.reason = 'out of memory';
      this.ctx.log.write(this.app, 'paas', `${this.dyno}: out of memory (the limit is ${this.ctx.release.memoryMb ?? this.ctx.jail.opts.limits.memoryMb} MB)`);
    }
    if (this.stopped) {
      this.ctx.log.write(this.app, 'paas', `${this.dyno}: stopped (${describeExit(info)})`);
      return;
    }
    this.ctx.log.write(this.app, 'paas', `${this.dyno}: process ${describeExit(info)}`);
    this.freePort();
    if (!this.supervised) {
      // A failed first boot: the runtime decides (deploy fails), nothing restarts.
      this.setState('crashed');
      return;
    }
    this.scheduleRestart(info);
  }

  /** After an exit (or a restart that failed: no info): restart with backoff, leave a clean exit alone, or give up. */
  private scheduleRestart(exit?: ExitInfo): void {
    const upFor = this.upSince === undefined ? 0 : Date.now() - this.upSince;
    if (upFor >= this.ctx.policy.resetAfterUpMs) this.consecutiveCrashes = 0;
    this.upSince = undefined;
    const clean = exit !== undefined && exit.code === 0 && exit.signal === null && !exit.error;
    if (!clean) this.consecutiveCrashes += 1;
    const verdict = toExitVerdict(clean, this.consecutiveCrashes, this.ctx.policy);
    if (verdict.kind === 'exited') {
      this.reason = describeExit(exit as ExitInfo);
      this.setState('exited');
      this.ctx.log.write(this.app, 'paas', `${this.dyno}: ${this.reason}; not restarted (it ended cleanly)`);
      return;
    }
    if (this.reason !== 'out of memory') this.reason = exit ? describeExit(exit) : 'could not be restarted';
    if (verdict.kind === 'give-up') this.reason = verdict.reason;
    this.setState('crashed');
    if (verdict.kind === 'give-up') return this.ctx.log.write(this.app, 'paas', `${this.dyno}: ${verdict.reason}`);
    this.ctx.log.write(this.app, 'paas', `${this.dyno}: crashed; restarting in ${verdict.delayMs / 1000}s`);
    this.restartTimer = setTimeout(() => void this.restart(), verdict.delayMs); // in no trace, as the exit (startChild)
  }

  private async restart(): Promise<void> {
    if (this.stopped) return;
    this.restarts += 1;
    try {
      const outcome = await this.boot();
      // A restart that never answers is killed; its exit then schedules the next try (onExit).
      if (!outcome.ok && this.child?.pid !== undefined && !this.stopped) this.signal(this.child.pid, 'SIGKILL');
    } catch (err) {
      // The supervisor must keep supervising: record why this attempt failed and try again later.
      this.ctx.log.write(this.app, 'paas', `${this.dyno}: restart failed: ${(err as Error).message}`);
      if (!this.stopped) this.scheduleRestart();
    }
  }

  private markUp(message: string): void {
    this.supervised = true;
    // `ps` keeps saying why the last run ended until the next exit, so a quick restart does not hide it.
    this.reason = this.reason === 'out of memory' ? 'restarted after running out of memory' : undefined;
    this.upSince = Date.now();
    this.setState('up');
    this.ctx.log.write(this.app, 'paas', message);
  }

  private freePort(): void {
    if (this.port !== undefined) this.ctx.releasePort(this.port);
    this.port = undefined;
  }

  private setState(state: ProcessStatus['state']): void {
    this.state = state;
    this.since = new Date();
    this.ctx.onChange(this);
  }
}
