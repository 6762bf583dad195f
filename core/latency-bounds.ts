// core/latency-bounds.ts — the router's latency bucket bounds, where the faces may read them: app_metrics stores
// counts per bucket (migration 010) and services/app-metrics.ts turns them back into quantiles. services/ may not
// import runtime/, so the list lives here, and runtime/router/stats.ts counts with it.

/** Upper bounds of the latency buckets, in ms (the router's histogram). */
export const LATENCY_BOUNDS: readonly number[] = Object.freeze([1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]);
