// runtime/router/stats.ts — per app traffic counters of the router's engine (status classes, a latency histogram,
// bytes); keyed by app only, so the labels stay bounded whatever hosts and paths clients send.
import { LATENCY_BOUNDS } from '../../core/latency-bounds.ts';

/** One app's traffic since the router started: bounded labels, app only. */
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

// Upper bounds of the latency buckets, in ms; counts[i] is how many took at most bounds[i] (`count` has them all).
// One list for the router and the faces (app_metrics stores counts per bucket): core/latency-bounds.ts.
export { LATENCY_BOUNDS };

/** The running counters of one app. */
export class AppCounters {
  readonly classes = new Float64Array(5);
  readonly buckets = new Float64Array(LATENCY_BOUNDS.length);
  sum = 0;
  count = 0;
  bytesIn = 0;
  bytesOut = 0;

  /** Counts one finished exchange. */
  record(status: number, ms: number, bytesIn: number, bytesOut: number): void {
    const cls = Math.floor(status / 100) - 1;
    if (cls >= 0 && cls < 5) this.classes[cls]! += 1;
    let i = 0;
    while (i < LATENCY_BOUNDS.length && ms > LATENCY_BOUNDS[i]!) i++;
    if (i < LATENCY_BOUNDS.length) this.buckets[i]! += 1;
    this.sum += ms;
    this.count += 1;
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
  }

  toTraffic(): AppTraffic {
    let running = 0;
    const counts = Array.from(this.buckets, (n) => (running += n));
    const c = this.classes;
    return {
      responses: { '1xx': c[0]!, '2xx': c[1]!, '3xx': c[2]!, '4xx': c[3]!, '5xx': c[4]! },
      latencyMs: { bounds: LATENCY_BOUNDS, counts, sum: this.sum, count: this.count },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
  }
}

/** All apps' counters and the unrouted count. */
export class TrafficStats {
  private readonly apps = new Map<string, AppCounters>();
  unrouted = 0;

  /** The app's counters, made on first use. */
  of(app: string): AppCounters {
    let c = this.apps.get(app);
    if (!c) this.apps.set(app, (c = new AppCounters()));
    return c;
  }

  /** Drops an app's counters (apps:destroy): an app created again under its name starts from zero. */
  drop(app: string): void {
    this.apps.delete(app);
  }

  snapshot(openConnections: number): RouterStats {
    const apps: Record<string, AppTraffic> = {};
    for (const [app, c] of this.apps) apps[app] = c.toTraffic();
    return { apps, unrouted: this.unrouted, openConnections };
  }
}
