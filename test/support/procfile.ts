// test/support/procfile.ts — end-to-end harness for the production layout: starts the Procfile's web, gitd and
// controller as separate processes on a shared DATABASE_URL (a fresh schema), NATS_URL (a fresh subject prefix)
// and data dir, reads each one's ports from its startup line, and can kill, stop and restart each of them.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run, tempDir, type Platform } from './platform.ts';
import { dropSchema } from './test-schema.ts';

export type ProcName = 'web' | 'gitd' | 'controller';

const MAINS: Record<ProcName, string> = { web: 'web/main.ts', gitd: 'gitd/main.ts', controller: 'controller/main.ts' };
const READY: Record<ProcName, RegExp> = {
  web: /paas web: HTTP \(API, git\) on http:\/\/localhost:(\d+)\//,
  gitd: /paas gitd: SSH on port (\d+) \(host key (SHA256:\S+)\); probes on http:\/\/localhost:(\d+)\//,
  controller: /paas controller: router on port (\d+); probes on http:\/\/localhost:(\d+)\//,
};

export interface Proc {
  name: ProcName;
  /** Everything the current and earlier runs printed (stdout and stderr). */
  output(): string;
  /** The port of its probes: the HTTP port for web, the probe port for gitd and controller. */
  probePort: number;
  pid(): number | undefined;
  running(): boolean;
  /** Sends a signal and resolves with the exit code (or the signal's name) once it has exited. */
  signal(sig: NodeJS.Signals): Promise<number | string>;
  /** kill -9 */
  kill(): Promise<void>;
  /** Starts it again on the same ports; resolves once it printed its startup line. */
  restart(): Promise<void>;
}

export interface ProcfilePlatform extends Platform {
  procs: Record<ProcName, Proc>;
  schema: string;
  prefix: string;
}

/** Starts web, gitd and controller separately; needs DATABASE_URL and NATS_URL (from the env or opts.env). */
export async function startProcfile(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<ProcfilePlatform> {
  const dataDir = path.join(tempDir(), 'data');
  const schema = `pf_${crypto.randomBytes(4).toString('hex')}`;
  const prefix = `pf${crypto.randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env, PAAS_DATA_DIR: dataDir, PAAS_HOST: '127.0.0.1', PAAS_DB_SCHEMA: schema, PAAS_SUBJECT_PREFIX: prefix,
    PAAS_HTTP_PORT: '0', PAAS_SSH_PORT: '0', PAAS_ROUTER_PORT: '0', PAAS_CONTROLLER_HEALTH_PORT: '0', PAAS_GITD_HEALTH_PORT: '0',
    PAAS_BOOT_TIMEOUT_MS: '15000', PAAS_LOG_LEVEL: 'warn', ...opts.env,
  };
  if (!env.DATABASE_URL || !env.NATS_URL) throw new Error('startProcfile needs DATABASE_URL and NATS_URL');
  // The three processes migrate the same fresh schema; doing it once first keeps them from racing on it.
  const migrated = await run(process.execPath, ['--import', 'tsx', '-e',
    `import('./core/db/connect.ts').then(async (m) => { const db = await m.openDb(process.env.DATABASE_URL, process.env.PAAS_DB_SCHEMA); await db.destroy(); })`],
  { cwd: ROOT, env });
  if (migrated.code !== 0) throw new Error(`migrating ${schema} failed: ${migrated.stderr}`);
  const web = new ProcHandle('web', env);
  const gitd = new ProcHandle('gitd', env);
  const controller = new ProcHandle('controller', env);
  await Promise.all([controller.start(), gitd.start(), web.start()]);
  const procs = { web, gitd, controller };
  const p: ProcfilePlatform = {
    dataDir, env, schema, prefix, procs,
    httpPort: web.ports[0]!, sshPort: gitd.ports[0]!, routerPort: controller.ports[0]!, hostKey: gitd.hostKey,
    output: () => Object.values(procs).map((x) => `=== ${x.name} ===\n${x.output()}`).join('\n'),
    cli: (args, stdin) => run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli/main.ts'), ...args], { cwd: ROOT, env, stdin }),
    async stop() { await Promise.all(Object.values(procs).map((x) => x.running() ? x.signal('SIGTERM') : undefined)); },
    async kill() { await Promise.all(Object.values(procs).map((x) => x.kill())); },
    async destroy() {
      await p.stop();
      await dropSchema(env.DATABASE_URL!, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return p;
}

class ProcHandle implements Proc {
  private child?: ChildProcess;
  private exited?: Promise<number | string>;
  private out = '';
  ports: number[] = [];
  hostKey = '';
  constructor(readonly name: ProcName, private baseEnv: NodeJS.ProcessEnv) {}

  get probePort(): number { return this.name === 'web' ? this.ports[0]! : this.ports.at(-1)!; }
  output(): string { return this.out; }
  pid(): number | undefined { return this.running() ? this.child?.pid : undefined; }
  running(): boolean { return !!this.child && this.child.exitCode === null && this.child.signalCode === null; }

  /** The env of this process: on a restart, the ports it chose the first time. */
  private env(): NodeJS.ProcessEnv {
    if (!this.ports.length) return this.baseEnv;
    const [a, b] = this.ports.map(String);
    if (this.name === 'web') return { ...this.baseEnv, PAAS_HTTP_PORT: a };
    if (this.name === 'gitd') return { ...this.baseEnv, PAAS_SSH_PORT: a, PAAS_GITD_HEALTH_PORT: b };
    return { ...this.baseEnv, PAAS_ROUTER_PORT: a, PAAS_CONTROLLER_HEALTH_PORT: b };
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, MAINS[this.name])], { cwd: ROOT, env: this.env() });
    this.child = child;
    const mark = this.out.length;
    const onData = (c: Buffer) => { this.out += c; };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? 1)));
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        const m = READY[this.name].exec(this.out.slice(mark));
        if (!m) return;
        child.stdout!.off('data', check);
        if (this.name === 'gitd') { this.ports = [Number(m[1]), Number(m[3])]; this.hostKey = m[2]!; }
        else this.ports = m.slice(1).map(Number);
        resolve();
      };
      child.stdout!.on('data', check);
      void this.exited!.then((code) => reject(new Error(`${this.name} exited with ${code} before it was ready:\n${this.out.slice(mark)}`)));
    });
  }

  async signal(sig: NodeJS.Signals): Promise<number | string> {
    if (!this.running()) return this.exited ?? 0;
    this.child!.kill(sig);
    return this.exited!;
  }

  async kill(): Promise<void> { await this.signal('SIGKILL'); }

  async restart(): Promise<void> {
    if (this.running()) throw new Error(`${this.name} is still running`);
    await this.start();
  }
}
