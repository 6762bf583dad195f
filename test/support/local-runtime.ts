// test/support/local-runtime.ts — helpers for the runtime and router tests: temp slugs holding a tiny node web app, HTTP through the router, polling with a deadline.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { Supervisor, type SupervisorOptions } from '../../runtime/local/supervisor.ts';
import { Router } from '../../runtime/router.ts';
import { currentTraceId } from '../../core/tracing.ts';
import type { ProcessSpec, ReleaseSpec } from '../../runtime/types.ts';

/**
 * A web app in plain CommonJS: answers "<label> <DYNO>", /env with its environment, and echoes upgraded sockets.
 * `node server.js v1 abrupt` keeps node's default SIGTERM (die at once), like many real apps.
 */
export const serverJs = `
const http = require('node:http');
const label = process.argv[2] || 'app';
const server = http.createServer((req, res) => {
  if (req.url === '/env') return res.end(JSON.stringify(process.env));
  res.end(label + ' ' + process.env.DYNO);
});
server.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n');
  socket.pipe(socket);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(label + ' listening on ' + process.env.PORT));
if (process.argv[3] !== 'abrupt') process.on('SIGTERM', () => {
  console.log(label + ' got SIGTERM');
  server.close(() => process.exit(0));
});
`;

/** A worker that prints a line a tick. */
export const workerJs = `console.log('worker started as ' + process.env.DYNO + ' with PORT ' + process.env.PORT + ' pid ' + process.pid); setInterval(() => console.log('tick'), 200);`;

/** Makes a temp dir removed after the test. */
export async function makeTempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `paas-${prefix}-`));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp slug dir with server.js and worker.js (plus any extra files). */
export async function makeSlug(t: TestContext, extra: Record<string, string> = {}): Promise<string> {
  const dir = await makeTempDir(t, 'slug');
  const files: Record<string, string> = { 'server.js': serverJs, 'worker.js': workerJs, ...extra };
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** A ReleaseSpec the way the controller builds one. */
export function toRelease(app: string, slugDir: string, version: number, processes: ProcessSpec[], env: Record<string, string> = {}): ReleaseSpec {
  return { app, version, slugDir, env: { RELEASE_VERSION: `v${version}`, APP_NAME: app, ...env }, pathPrepend: ['bin'], processes };
}

export interface Harness {
  router: Router;
  routerPort: number;
  runtime: Supervisor;
  logDir: string;
  /** trace: the trace id active when the line was handed over (core/tracing.ts), if any. */
  logs: Array<{ app: string; line: string; source: string; trace?: string }>;
  progress: string[];
}

/** A router on a free port plus a runtime, both shut down after the test. */
export async function startHarness(t: TestContext, opts: Partial<SupervisorOptions> = {}): Promise<Harness> {
  const router = new Router({ baseDomain: 'localhost' });
  const routerPort = await router.listen(0, '127.0.0.1');
  const logDir = await makeTempDir(t, 'logs');
  const logs: Harness['logs'] = [];
  const runtime = new Supervisor({
    logDir,
    router,
    onLog: (app, line, source) => { const trace = currentTraceId(); logs.push({ app, line, source, ...(trace ? { trace } : {}) }); },
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() },
    bootTimeoutMs: 10_000,
    graceMs: 3000,
    ...opts,
  });
  t.after(async () => {
    await runtime.stopAll();
    await router.close();
  });
  return { router, routerPort, runtime, logDir, logs, progress: [] };
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request to 127.0.0.1:port with the given Host header; a fresh connection each time. */
export function request(port: number, host: string, opts: { path?: string; method?: string; body?: string; headers?: http.OutgoingHttpHeaders } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { ...opts.headers, host };
    const req = http.request({ host: '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers, agent: false });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls check every 50 ms until it returns a truthy value, failing with `what` after timeoutMs. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * True while a process with that pid runs. A zombie counts as gone: orphaned grandchildren are reparented to PID 1,
 * and a container's PID 1 may never reap them, yet kill(pid, 0) still succeeds on them.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // reaped between the two checks
  }
  // The state letter follows the parenthesised command name, which may itself contain spaces or parens.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
