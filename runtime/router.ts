// runtime/router.ts — the built-in Host-header router of the local runtime: <app>.<baseDomain>, custom domains and the
// platform's own hosts to backend ports, over HTTP and HTTPS (SNI); started by the platform, fed by Supervisor. This is
// the main-thread facade: the engine (runtime/router/) runs in a worker thread, off the event loop of builds and git,
// and gets every state change here by message, in order. The facade keeps the authoritative copy of that state, so a
// worker that dies is restarted, given it all again, and listens again on the same ports.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../core/http-limits.ts';
import type { EngineState, FromWorker, ToWorker, WorkerInit } from './router/protocol.ts';
import type { RouterStats } from './router/stats.ts';
import type { AppEdgeOptions, CertificatePem } from './router/table.ts';

export type { AppTraffic, RouterStats } from './router/stats.ts';
export type { AppEdgeOptions, CertificatePem } from './router/table.ts';
export { toHostName } from './router/table.ts';

/** The engine's entry: the .ts source under tsx (tests, `npm run paas`), the compiled .js in dist/. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './router/worker.ts' : './router/worker.js', import.meta.url);
/** A worker that dies this soon after it started counts as failing to start; after MAX_QUICK_FAILURES in a row, no more restarts. */
const QUICK_FAILURE_MS = 2000;
const MAX_QUICK_FAILURES = 3;

/**
 * Starts the engine's worker. Under tsx the worker registers tsx itself: node 20 does not run `--import` hooks in
 * worker threads, so a worker given a .ts entry would not load.
 */
function startEngine(init: WorkerInit): Worker {
  const options = { workerData: init, transferList: [init.port] };
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, options);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}
/** How long an app may take to send its response head by default (the platform's own port has no deadline). */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

/** Options of the router. */
export interface RouterOptions {
  baseDomain: string;
  /** The headers deadline, body rate and idle limits, header limits and per-client connection cap (default: DEFAULT_HTTP_LIMITS). */
  limits?: HttpLimits;
  /** No response head from an app within this → 504 (default 60 s). */
  upstreamTimeoutMs?: number;
  /** Where the router reports a restarted engine or an unusable certificate (default: console.error). */
  onError?: (err: Error) => void;
}

interface Waiter { resolve: (value: unknown) => void; reject: (err: Error) => void; kind: ToWorker['t'] }

/** Routes HTTP and Upgrade requests by Host to 127.0.0.1 backends, round-robin per client connection. */
export class Router {
  private readonly opts: Required<Omit<RouterOptions, 'onError'>> & Pick<RouterOptions, 'onError'>;
  private readonly routes = new Map<string, number[]>();
  /** Extra hosts per app; kept across removeRoute so a redeploy keeps its domains. */
  private readonly domains = new Map<string, string[]>();
  private readonly certificates = new Map<string, CertificatePem>();
  private readonly challenges = new Map<string, string>();
  private readonly appOptions = new Map<string, AppEdgeOptions>();
  private platform: { hosts: string[]; port: number; secret: string } | undefined;
  private readonly listeners: Array<{ port: number; host: string | undefined; tls: boolean }> = [];
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private posted: Int32Array | undefined;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closing = false;
  private startedAt = 0;
  private quickFailures = 0;

  constructor(opts: RouterOptions) {
    this.opts = { limits: DEFAULT_HTTP_LIMITS, upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS, ...opts };
  }

  /** Sets the backends (ports on 127.0.0.1) for an app; its custom domains (setDomains) stay as they are. */
  setRoute(app: string, backends: number[]): void {
    this.routes.set(app, [...backends]);
    this.post({ t: 'route', app, backends: [...backends] });
  }

  /** Stops serving the app: its hosts answer 404 until setRoute is called again. Its domains are remembered. */
  removeRoute(app: string): void {
    this.routes.delete(app);
    this.post({ t: 'unroute', app });
  }

  /**
   * Forgets a destroyed app (apps:destroy only, after its route is removed): its custom domains and its traffic
   * counters, so an app created later under the name inherits neither. A redeploy's removeRoute keeps both.
   */
  forgetApp(app: string): void {
    this.setDomains(app, []);
    this.domains.delete(app);
    this.post({ t: 'forget', app });
  }

  /**
   * Replaces the app's custom domains; a domain claimed by two apps goes to the last one set (the controller refuses
   * duplicates). IP literals are never routed to an app, even if one was stored before domains:add refused them.
   */
  setDomains(app: string, extraHosts: string[]): void {
    this.domains.delete(app);
    this.domains.set(app, [...extraHosts]);
    this.post({ t: 'domains', app, hosts: [...extraHosts] });
  }

  /** Serves cert for host on the HTTPS port (SNI; exact host, or `*.parent` for a wildcard); undefined removes it. */
  setCertificate(host: string, pem: CertificatePem | undefined): void {
    if (pem) this.certificates.set(host, pem);
    else this.certificates.delete(host);
    this.post({ t: 'cert', host, pem });
  }

  /** Answers GET /.well-known/acme-challenge/<token> on plain HTTP, for any host, with keyAuthorization; undefined removes it. */
  setChallenge(token: string, keyAuthorization: string | undefined): void {
    if (keyAuthorization === undefined) this.challenges.delete(token);
    else this.challenges.set(token, keyAuthorization);
    this.post({ t: 'challenge', token, value: keyAuthorization });
  }

  /** Sets an app's redirect and HSTS options (default: both off). */
  setAppOptions(app: string, options: AppEdgeOptions): void {
    this.appOptions.set(app, { ...options });
    this.post({ t: 'options', app, options: { ...options } });
  }

  /**
   * Routes the platform's own hosts (PAAS_DOMAIN) to the web port on 127.0.0.1, with no response deadline (git
   * pushes), marking each request with `secret` (core/router-secret.ts: the web port believes its X-Forwarded-*).
   */
  setPlatformRoute(hosts: string[], port: number, secret: string): void {
    this.platform = { hosts: [...hosts], port, secret };
    this.post({ t: 'platform', hosts: [...hosts], port, secret });
  }

  /** Starts serving; returns the bound port (port 0 picks a free one). */
  async listen(port: number, host?: string): Promise<number> {
    if (this.listeners.some((l) => !l.tls)) throw new Error('Router is already listening');
    return this.addListener(port, host, false);
  }

  /** Starts the HTTPS listener; returns the bound port. */
  async listenTls(port: number, host?: string): Promise<number> {
    if (this.listeners.some((l) => l.tls)) throw new Error('Router is already listening for HTTPS');
    return this.addListener(port, host, true);
  }

  /** Traffic counted since the engine (re)started, per app. */
  async stats(): Promise<RouterStats> {
    if (!this.worker) return { apps: {}, unrouted: 0, openConnections: 0 };
    return (await this.call({ t: 'stats', id: 0 })) as RouterStats;
  }

  /** Resolves once no proxied request is in flight to any of ports, or after timeoutMs; used before an old release is stopped. */
  async drain(ports: number[], timeoutMs: number): Promise<void> {
    if (!this.worker) return;
    await this.call({ t: 'drain', id: 0, ports, timeoutMs });
  }

  /** Stops listening and cuts every open connection, websockets included. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.closing) return;
    this.closing = true;
    await this.call({ t: 'close', id: 0 });
    await worker.terminate();
    this.worker = undefined;
  }

  private async addListener(port: number, host: string | undefined, tls: boolean): Promise<number> {
    if (this.closing) throw new Error('Router is closed');
    if (!this.worker) this.startWorker();
    const bound = (await this.call({ t: 'listen', id: 0, port, host, tls })) as number;
    this.listeners.push({ port: bound, host, tls });
    return bound;
  }

  /** Starts the engine and gives it the whole state, then the listeners it had (after a crash: the same ports). */
  private startWorker(): void {
    const { port1, port2 } = new MessageChannel();
    const posted = new Int32Array(new SharedArrayBuffer(4));
    const init: WorkerInit = { baseDomain: this.opts.baseDomain, limits: this.opts.limits, upstreamTimeoutMs: this.opts.upstreamTimeoutMs, port: port2, posted };
    const worker = startEngine(init);
    this.worker = worker;
    this.startedAt = Date.now();
    this.port = port1;
    this.posted = posted;
    port1.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.report(new Error(`router engine failed: ${err.message}`, { cause: err })));
    worker.on('exit', () => this.onExit(worker));
    this.post({ t: 'load', state: this.snapshot() });
    for (const l of this.listeners) {
      this.call({ t: 'listen', id: 0, port: l.port, host: l.host, tls: l.tls }).catch((err: Error) => this.report(new Error(`router engine could not listen again on ${l.port}: ${err.message}`)));
    }
  }

  private onExit(worker: Worker): void {
    if (worker !== this.worker) return;
    this.port?.close();
    // Nothing is in flight in a dead engine: drains are over; other requests fail.
    for (const [id, w] of this.waiting) {
      if (w.kind === 'drain' || w.kind === 'close') w.resolve(undefined);
      else w.reject(new Error('the router engine stopped'));
      this.waiting.delete(id);
    }
    if (this.closing) return;
    this.quickFailures = Date.now() - this.startedAt < QUICK_FAILURE_MS ? this.quickFailures + 1 : 0;
    if (this.quickFailures >= MAX_QUICK_FAILURES) {
      this.worker = undefined;
      this.report(new Error(`router engine stopped ${MAX_QUICK_FAILURES} times right after starting; not restarting it`));
      return;
    }
    this.report(new Error('router engine stopped unexpectedly; restarting it'));
    this.startWorker();
  }

  private snapshot(): EngineState {
    return {
      routes: [...this.routes], domains: [...this.domains], appOptions: [...this.appOptions], challenges: [...this.challenges],
      platform: this.platform, certificates: [...this.certificates],
    };
  }

  /** Sends a message in order; counted, so the worker can pull it before routing a request that comes after it. */
  private post(msg: ToWorker): void {
    if (!this.port || !this.posted || this.closing) return;
    this.port.postMessage(msg);
    Atomics.add(this.posted, 0, 1);
  }

  private call(msg: ToWorker & { id: number }): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, kind: msg.t });
      this.port!.postMessage({ ...msg, id });
      Atomics.add(this.posted!, 0, 1);
    });
  }

  private onMessage(msg: FromWorker): void {
    if (msg.t === 'log') {
      this.report(new Error(msg.message));
      return;
    }
    const w = this.waiting.get(msg.id);
    if (!w) return;
    this.waiting.delete(msg.id);
    if (msg.error !== undefined) w.reject(new Error(msg.error));
    else w.resolve(msg.value);
  }

  private report(err: Error): void {
    if (this.opts.onError) this.opts.onError(err);
    else console.error(err.message);
  }
}
