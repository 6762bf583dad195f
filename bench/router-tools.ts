// bench/router-tools.ts — what bench/router.ts drives besides our router: Debian's wrk (run, and its output parsed)
// and Debian's nginx (a generated config in a temp dir, 1 worker, keep-alive upstream), each a tracked child process.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { findFreePort } from '../core/net.ts';

export const WRK = '/usr/bin/wrk';
export const NGINX = '/usr/sbin/nginx';

/** What one wrk run measured; latencies in ms. */
export interface WrkResult { rps: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number; socketErrors: number }

/** Where a child is registered so the bench can kill it on exit or SIGINT. */
export type Track = (child: ChildProcess) => void;

/** '512.00us' / '1.23ms' / '2.00s' / '1.50m' (wrk's time units) -> milliseconds. */
export function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new Error(`not a wrk duration: ${value}`);
  const scale = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[m[2] as 'us' | 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * scale;
}

/** Reads requests/s, p50/p99 (from --latency's distribution), non-2xx/3xx responses and socket errors from wrk's output. */
export function parseWrk(out: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1];
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1];
  if (rps === undefined || p50 === undefined || p99 === undefined) throw new Error(`wrk printed no figures:\n${out}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(rps),
    p50Ms: toMs(p50),
    p99Ms: toMs(p99),
    requests: Number(/^\s+(\d+) requests in/m.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** Runs wrk with one thread against url with that Host header; rejects if it exits non-zero. */
export function runWrk(opts: { url: string; host: string; seconds: number; connections: number }, track: Track): Promise<WrkResult> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', '-H', `Host: ${opts.host}`, opts.url];
  const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c; });
  child.stderr!.on('data', (c: Buffer) => { out += c; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`wrk exited with ${code}:\n${out}`));
      else {
        try { resolve(parseWrk(out)); } catch (err) { reject(err); }
      }
    });
  });
}

/** One GET with that Host header on a fresh connection; resolves with the status and body, or rejects on a socket error. */
export function probe(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** The bench's nginx config: 1 worker, no access log, a keep-alive upstream to the app, everything under dir. */
export function nginxConfig(dir: string, listenPort: number, appPort: number): string {
  const at = (name: string) => path.join(dir, name);
  return `daemon off;
worker_processes 1;
pid ${at('nginx.pid')};
error_log ${at('error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${at('body')};
  proxy_temp_path ${at('proxy')};
  fastcgi_temp_path ${at('fastcgi')};
  uwsgi_temp_path ${at('uwsgi')};
  scgi_temp_path ${at('scgi')};
  upstream app { server 127.0.0.1:${appPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${listenPort};
    server_name bench.localhost;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

/** A running nginx: its port, and a stop that waits for the master to exit (it takes its worker with it). */
export interface Nginx { port: number; stop(): Promise<void> }

/** Starts nginx in front of appPort on a free loopback port; another process taking the port first means a retry. */
export async function startNginx(dir: string, appPort: number, track: Track): Promise<Nginx> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, nginxConfig(dir, port, appPort));
    const child = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => { stderr += c; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const up = await waitAnswering(port, () => child.exitCode !== null || child.signalCode !== null);
    if (up) return { port, stop: () => stopChild(child, exited) };
    const log = `${stderr}${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`;
    if (!/Address already in use/.test(log) || attempt >= 5) throw new Error(`nginx did not start:\n${log}`);
  }
}

/** Polls the port until it answers HTTP 200 (nginx is up and reaches the app); false once it is gone or after 10 s. */
async function waitAnswering(port: number, gone: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !gone()) {
    const ok = await probe(port, 'bench.localhost').then((r) => r.status === 200, () => false);
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** SIGTERM (nginx: fast shutdown; the app: exit) and wait for the exit, SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
