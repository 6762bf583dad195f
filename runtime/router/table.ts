// runtime/router/table.ts — the router's route table (pure, no I/O): Host → platform or app → backend ports (round
// robin), custom domains, per app edge options, ACME challenges, and certificate lookup by host. The engine's worker
// holds one; the Router facade (runtime/router.ts) feeds it the same state in the same order.
import { isIpLiteral } from '../../core/hostnames.ts';

/** A certificate chain and its private key, PEM. */
export interface CertificatePem { cert: string; key: string }

/** Per app edge options: HTTP→HTTPS redirect (when the host has a certificate), and HSTS on HTTPS responses. */
export interface AppEdgeOptions { redirectHttps: boolean; hsts: boolean }

/** An app's backends and its round-robin cursor (advanced each time a client connection opens an upstream). */
export interface Route { app: string; backends: number[]; next: number }

/** Where a host goes: an app (with its route, maybe without backends), the platform's web port, or nowhere. */
export type Resolution = { kind: 'app'; app: string; route: Route | undefined } | { kind: 'platform'; port: number } | { kind: 'none' };

/** Lowercases a Host header value and strips its port and any trailing dot ('App.Localhost:8080' -> 'app.localhost'). */
export function toHostName(header: string | undefined): string {
  const value = (header ?? '').trim().toLowerCase();
  const bare = value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : value.replace(/:\d*$/, '');
  return bare.replace(/\.$/, '');
}

/** The value for host in a map keyed by host names: the exact host first, then the wildcard `*.parent` one label up. */
export function lookupByHost<T>(map: ReadonlyMap<string, T>, host: string): T | undefined {
  const exact = map.get(host);
  if (exact !== undefined) return exact;
  const dot = host.indexOf('.');
  return dot > 0 ? map.get(`*${host.slice(dot)}`) : undefined;
}

/** The whole routing state, as the facade sends it to a (re)started worker. */
export interface TableState {
  routes: Array<[string, number[]]>;
  domains: Array<[string, string[]]>;
  appOptions: Array<[string, AppEdgeOptions]>;
  challenges: Array<[string, string]>;
  platform: { hosts: string[]; port: number; secret: string } | undefined;
}

/** Host → app → backends; every host given to it is a toHostName() result. */
export class RouteTable {
  private readonly baseSuffix: string;
  readonly routes = new Map<string, Route>();
  /** Extra hosts per app; kept across removeRoute so a redeploy keeps its domains. */
  private readonly domains = new Map<string, string[]>();
  private hostToApp = new Map<string, string>();
  private readonly appOptions = new Map<string, AppEdgeOptions>();
  readonly challenges = new Map<string, string>();
  private platform: { hosts: Set<string>; port: number; secret: string } | undefined;

  constructor(baseDomain: string) {
    this.baseSuffix = `.${toHostName(baseDomain)}`;
  }

  /** Sets the backends (ports on 127.0.0.1) for an app; its cursor and domains stay. */
  setRoute(app: string, backends: number[]): void {
    const previous = this.routes.get(app);
    this.routes.set(app, { app, backends: [...backends], next: previous?.next ?? 0 });
  }

  /** The app's route, if it has one. */
  route(app: string): Route | undefined {
    return this.routes.get(app);
  }

  removeRoute(app: string): void {
    this.routes.delete(app);
  }

  /** Replaces the app's custom domains; a domain claimed twice goes to the last app set; IP literals are never routed. */
  setDomains(app: string, extraHosts: string[]): void {
    const hosts = extraHosts.map((h) => toHostName(h)).filter((h) => h.length > 0 && !isIpLiteral(h));
    if (hosts.length > 0) this.domains.set(app, hosts);
    else this.domains.delete(app);
    const index = new Map<string, string>();
    for (const [owner, list] of this.domains) for (const host of list) index.set(host, owner);
    for (const host of hosts) index.set(host, app);
    this.hostToApp = index;
  }

  setAppOptions(app: string, options: AppEdgeOptions): void {
    this.appOptions.set(app, options);
  }

  options(app: string): AppEdgeOptions | undefined {
    return this.appOptions.get(app);
  }

  setChallenge(token: string, keyAuthorization: string | undefined): void {
    if (keyAuthorization === undefined) this.challenges.delete(token);
    else this.challenges.set(token, keyAuthorization);
  }

  setPlatformRoute(hosts: string[], port: number, secret: string): void {
    this.platform = { hosts: new Set(hosts.map((h) => toHostName(h))), port, secret };
  }

  /** The secret marking requests forwarded to the platform's web port (core/router-secret.ts). */
  get platformSecret(): string | undefined {
    return this.platform?.secret;
  }

  /** Replaces everything with a snapshot (a restarted worker). */
  load(state: TableState): void {
    for (const [app, backends] of state.routes) this.setRoute(app, backends);
    for (const [app, hosts] of state.domains) this.setDomains(app, hosts);
    for (const [app, options] of state.appOptions) this.setAppOptions(app, options);
    for (const [token, value] of state.challenges) this.setChallenge(token, value);
    if (state.platform) this.setPlatformRoute(state.platform.hosts, state.platform.port, state.platform.secret);
  }

  /** Where a host name goes. The platform's own hosts first; then <app>.<base domain>, which a custom domain never overrides. */
  resolve(host: string): Resolution {
    if (this.platform?.hosts.has(host)) return { kind: 'platform', port: this.platform.port };
    const app = this.appFromBaseDomain(host) ?? this.hostToApp.get(host);
    return app === undefined ? { kind: 'none' } : { kind: 'app', app, route: this.routes.get(app) };
  }

  /** Every port some route or the platform points at (an upstream to any other port is retired). */
  routedPorts(): Set<number> {
    const ports = new Set<number>();
    for (const route of this.routes.values()) for (const p of route.backends) ports.add(p);
    if (this.platform) ports.add(this.platform.port);
    return ports;
  }

  /** The next backend of a route with at least one. */
  nextBackend(route: Route): number {
    const port = route.backends[route.next % route.backends.length]!;
    route.next = (route.next + 1) % route.backends.length;
    return port;
  }

  /** 'myapp.localhost' -> 'myapp'; deeper names ('a.myapp.localhost') are not ours. */
  private appFromBaseDomain(host: string): string | undefined {
    if (!host.endsWith(this.baseSuffix)) return undefined;
    const label = host.slice(0, -this.baseSuffix.length);
    return label.length > 0 && !label.includes('.') ? label : undefined;
  }
}
