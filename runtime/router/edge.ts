// runtime/router/edge.ts — what the router engine's client connections share inside the worker: the route table,
// the counters, the limits, per backend port bookkeeping (in-flight requests for drain, idle and pinned upstreams),
// the TLS certificates, and the one timer that checks every connection's deadlines.
import tls from 'node:tls';
import type { HttpLimits } from '../../core/http-limits.ts';
import type { ClientConnection } from './connection.ts';
import { TrafficStats } from './stats.ts';
import { lookupByHost, RouteTable } from './table.ts';

/** Idle upstreams are closed after this long, under node's default keepAliveTimeout (5 s) so the app never closes first. */
export const UPSTREAM_IDLE_MS = 2000;
/** Idle upstreams kept per backend port; the oldest beyond it is closed. */
export const IDLE_PER_BACKEND = 64;

/** One backend port's bookkeeping. */
export interface PortState {
  readonly port: number;
  /** Requests written to it whose response has not ended. */
  inflight: number;
  /** Connections whose upstream to it is idle, oldest first. */
  readonly idle: Set<ClientConnection>;
  /** Connections with an upstream to it, busy or idle. */
  readonly pinned: Set<ClientConnection>;
}

/** The shared state of one worker's engine. */
export class Edge {
  readonly table: RouteTable;
  readonly stats = new TrafficStats();
  readonly connections = new Set<ClientConnection>();
  readonly certificates = new Map<string, tls.SecureContext>();
  /** The HTTPS listener's port; 0 while there is none (no redirect then). */
  tlsPort = 0;
  /** A clock updated every tick: deadlines are checked at the tick's resolution, so reading Date.now() per chunk is not needed. */
  now = Date.now();
  /** Applies state messages the facade has posted but this thread has not handled yet (set by worker.ts). */
  sync: () => void = () => {};
  readonly tickMs: number;
  private readonly ports = new Map<number, PortState>();
  private readonly drains = new Set<{ ports: number[]; done: () => void }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(baseDomain: string, readonly limits: HttpLimits, readonly upstreamTimeoutMs: number) {
    this.table = new RouteTable(baseDomain);
    const shortest = Math.min(limits.headersTimeoutMs, limits.bodyGraceMs, limits.bodyIdleTimeoutMs, upstreamTimeoutMs, UPSTREAM_IDLE_MS);
    this.tickMs = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
  }

  /** Starts the deadline timer. */
  start(): void {
    let last = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      this.now = now;
      for (const c of this.connections) c.tick(now, now - last);
      last = now;
    }, this.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  portState(port: number): PortState {
    let ps = this.ports.get(port);
    if (!ps) this.ports.set(port, (ps = { port, inflight: 0, idle: new Set(), pinned: new Set() }));
    return ps;
  }

  /** Called when a port's in-flight count falls to 0. */
  settled(): void {
    if (this.drains.size === 0) return;
    for (const d of [...this.drains]) if (this.idle(d.ports)) d.done();
  }

  /** Resolves once none of ports has a request in flight, or after timeoutMs. */
  drain(ports: number[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { ports, done: () => { clearTimeout(timer); this.drains.delete(entry); resolve(); } };
      const timer = setTimeout(entry.done, timeoutMs);
      this.drains.add(entry);
      if (this.idle(ports)) entry.done();
    });
  }

  /** Marks a connection's upstream idle; beyond the per backend cap the oldest idle one is closed. */
  markIdle(c: ClientConnection, ps: PortState): void {
    ps.idle.add(c);
    if (ps.idle.size > IDLE_PER_BACKEND) ps.idle.values().next().value?.closeIdleUpstream();
  }

  /** After a route change: upstreams to ports no route points at any more are closed now if idle, else after their response. */
  /** Backends joined app: its pinned connections re-pick a backend at their next idle request (connection.ts). */
  rebalance(app: string): void {
    for (const c of this.connections) if (c.up.route?.app === app) c.up.repick = true;
  }

  retireUnrouted(): void {
    const routed = this.table.routedPorts();
    for (const ps of this.ports.values()) {
      if (routed.has(ps.port)) continue;
      for (const c of [...ps.pinned]) c.retire();
      if (ps.pinned.size === 0 && ps.inflight === 0) this.ports.delete(ps.port);
    }
  }

  /** Whether the HTTPS listener has a certificate for host (exact or wildcard). */
  hasCertificate(host: string): boolean {
    return lookupByHost(this.certificates, host) !== undefined;
  }

  private idle(ports: number[]): boolean {
    return ports.every((p) => !this.ports.get(p)?.inflight);
  }
}
