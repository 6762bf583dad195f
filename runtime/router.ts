// runtime/router.ts — the built-in Host-header router of the local runtime: <app>.<baseDomain> and custom domains to backend ports; started by the platform, fed by Supervisor.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isIpLiteral } from '../core/hostnames.ts';
import { answerClientError, applyHttpLimits, DEFAULT_HTTP_LIMITS, serverOptions, type HttpLimits, type RefusalBody } from '../core/http-limits.ts';
import { forwardRequest, forwardUpgrade, rejectUpgrade, sendText } from './proxy.ts';

interface Route {
  backends: number[];
  /** Round-robin cursor. */
  next: number;
}

/** A certificate chain and its private key, PEM (the router's HTTPS port serves it for the hosts it is set for). */
export interface CertificatePem { cert: string; key: string }

/** Per app edge options: HTTP→HTTPS redirect (when the host has a certificate), and HSTS on HTTPS responses. */
export interface AppEdgeOptions { redirectHttps: boolean; hsts: boolean }

/** One app's traffic through the router since it started (for the metrics): bounded labels, app only. */
export interface AppTraffic {
  /** Responses by status class. */
  responses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  /** Time from the request head to the response's last byte, as a cumulative histogram (upper bounds in ms). */
  latencyMs: { bounds: readonly number[]; counts: number[]; sum: number; count: number };
  bytesIn: number;
  bytesOut: number;
}

/** What the router counted: per app, plus requests for hosts no app is served at (never keyed by host). */
export interface RouterStats { apps: Record<string, AppTraffic>; unrouted: number; openConnections: number }

type Target = { port: number } | { status: 404 | 503; reason: string; message: string };

/** Lowercases a Host header value and strips its port and any trailing dot ('App.Localhost:8080' -> 'app.localhost'). */
export function toHostName(header: string | undefined): string {
  const value = (header ?? '').trim().toLowerCase();
  const bare = value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : value.replace(/:\d*$/, '');
  return bare.replace(/\.$/, '');
}

/** A refusal the HTTP limits make (408, 431, 400), as the router's own text pages are. */
const textRefusal: RefusalBody = (e) => ({ type: 'text/plain; charset=utf-8', text: `${e.message}.` });

/** Routes HTTP and Upgrade requests by Host to 127.0.0.1 backends, round-robin. */
export class Router {
  private readonly baseSuffix: string;
  private readonly routes = new Map<string, Route>();
  /** Extra hosts per app; kept across removeRoute so a redeploy keeps its domains. */
  private readonly domains = new Map<string, string[]>();
  private hostToApp = new Map<string, string>();
  private readonly inflight = new Map<number, number>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly sockets = new Set<Duplex>();
  private server?: http.Server;
  private readonly limits: HttpLimits;
  private readonly certificates = new Map<string, CertificatePem>();
  private readonly challenges = new Map<string, string>();
  private readonly appOptions = new Map<string, AppEdgeOptions>();
  private platform?: { hosts: string[]; port: number; secret: string };

  /** `limits`: the headers deadline, body rate and idle limits, header limits and per-client connection cap (default: DEFAULT_HTTP_LIMITS). */
  constructor(opts: { baseDomain: string; limits?: HttpLimits; upstreamTimeoutMs?: number }) {
    this.baseSuffix = `.${toHostName(opts.baseDomain)}`;
    this.limits = opts.limits ?? DEFAULT_HTTP_LIMITS;
  }

  /** Sets the backends (ports on 127.0.0.1) for an app; its custom domains (setDomains) stay as they are. */
  setRoute(app: string, backends: number[]): void {
    const previous = this.routes.get(app);
    this.routes.set(app, { backends: [...backends], next: previous?.next ?? 0 });
  }

  /** Stops serving the app: its hosts answer 404 until setRoute is called again. Its domains are remembered. */
  removeRoute(app: string): void {
    this.routes.delete(app);
  }

  /**
   * Replaces the app's custom domains; a domain claimed by two apps goes to the last one set (the controller refuses
   * duplicates). IP literals are never routed to an app, even if one was stored before domains:add refused them.
   */
  setDomains(app: string, extraHosts: string[]): void {
    const hosts = extraHosts.map((h) => toHostName(h)).filter((h) => h.length > 0 && !isIpLiteral(h));
    if (hosts.length > 0) this.domains.set(app, hosts);
    else this.domains.delete(app);
    const index = new Map<string, string>();
    for (const [owner, list] of this.domains) for (const host of list) index.set(host, owner);
    for (const host of hosts) index.set(host, app);
    this.hostToApp = index;
  }

  /** Serves cert for host on the HTTPS port (SNI; exact host, or `*.parent` for a wildcard); undefined removes it. */
  setCertificate(host: string, pem: CertificatePem | undefined): void {
    if (pem) this.certificates.set(toHostName(host), pem);
    else this.certificates.delete(toHostName(host));
  }

  /** Answers GET /.well-known/acme-challenge/<token> on plain HTTP, for any host, with keyAuthorization; undefined removes it. */
  setChallenge(token: string, keyAuthorization: string | undefined): void {
    if (keyAuthorization === undefined) this.challenges.delete(token);
    else this.challenges.set(token, keyAuthorization);
  }

  /** Sets an app's redirect and HSTS options (default: both off). */
  setAppOptions(app: string, options: AppEdgeOptions): void {
    this.appOptions.set(app, options);
  }

  /** Routes the platform's own hosts (PAAS_DOMAIN) to the web port on 127.0.0.1, with no response deadline (git pushes). */
  setPlatformRoute(hosts: string[], port: number, secret: string): void {
    this.platform = { hosts: hosts.map((h) => toHostName(h)), port, secret };
  }

  /** Starts the HTTPS listener; returns the bound port. */
  async listenTls(_port: number, _host?: string): Promise<number> {
    throw new Error('the router does not serve HTTPS yet');
  }

  /** Traffic counted since start, per app. */
  async stats(): Promise<RouterStats> {
    return { apps: {}, unrouted: 0, openConnections: 0 };
  }

  /** Resolves once no proxied request is in flight to any of ports, or after timeoutMs; used before an old release is stopped. */
  drain(ports: number[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (ports.every((p) => !this.inflight.get(p))) finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.idleWaiters.add(check);
      check();
    });
  }

  /** Starts serving; returns the bound port (port 0 picks a free one). */
  async listen(port: number, host?: string): Promise<number> {
    if (this.server) throw new Error('Router is already listening');
    const server = http.createServer(serverOptions(this.limits));
    applyHttpLimits(server, this.limits, textRefusal);
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    // A slow, oversized or malformed request: 408, 431 or 400 as text, and the socket is closed.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket, textRefusal));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts every open connection, websockets included. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private lookup(hostHeader: string | undefined): Target {
    const host = toHostName(hostHeader);
    // <app>.<base domain> always means that app: a custom domain never overrides it.
    const app = this.appFromBaseDomain(host) ?? this.hostToApp.get(host);
    const route = app === undefined ? undefined : this.routes.get(app);
    if (app === undefined || !route) {
      return { status: 404, reason: 'Not Found', message: `No app is served at ${host || '(no Host header)'}.` };
    }
    if (route.backends.length === 0) {
      return { status: 503, reason: 'Service Unavailable', message: `${app} has no running web process.` };
    }
    const port = route.backends[route.next % route.backends.length] as number;
    route.next = (route.next + 1) % route.backends.length;
    return { port };
  }

  /** 'myapp.localhost' -> 'myapp'; deeper names ('a.myapp.localhost') are not ours. */
  private appFromBaseDomain(host: string): string | undefined {
    if (!host.endsWith(this.baseSuffix)) return undefined;
    const label = host.slice(0, -this.baseSuffix.length);
    return label.length > 0 && !label.includes('.') ? label : undefined;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = this.lookup(req.headers.host);
    if (!('port' in target)) {
      req.resume();
      sendText(res, target.status, target.message);
      return;
    }
    const { port } = target;
    this.inflight.set(port, (this.inflight.get(port) ?? 0) + 1);
    try {
      forwardRequest(req, res, port, () => this.settled(port));
    } catch (err) {
      // http.request validates what the parser let through; one odd request must not take every app down.
      sendText(res, 502, `Bad gateway: the request could not be forwarded (${(err as Error).message}).`);
      this.settled(port);
    }
  }

  private settled(port: number): void {
    const left = (this.inflight.get(port) ?? 1) - 1;
    if (left > 0) this.inflight.set(port, left);
    else this.inflight.delete(port);
    for (const check of [...this.idleWaiters]) check();
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // Upgraded sockets leave the server's bookkeeping, so close() tracks them itself.
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const target = this.lookup(req.headers.host);
    if ('port' in target) forwardUpgrade(req, socket, head, target.port);
    else rejectUpgrade(socket, target.status, target.reason, target.message);
  }
}
