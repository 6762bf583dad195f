// core/latency-bounds.ts — the router's latency bucket bounds, where the faces may read them: app_metrics stores
// counts per bucket (migration 010) and services/app-metrics.ts turns them back into quantiles. services/ may not
// import runtime/, so the list lives here; services/app-metrics.test.ts checks it equals runtime/router/stats.ts's.

/** Upper bounds of the latency buckets, in ms (runtime/router/stats.ts LATENCY_BOUNDS). */
export const LATENCY_BOUNDS: readonly number[] = Object.freeze([1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]);
