// controller/app-metrics.ts — the per-app readings of the process that runs the apps, for /metrics: the router's
// traffic (requests by status class, its latency histogram as it counts it, bytes), the usage board's CPU and memory,
// the processes table's instances and restarts, and the certificates' states. Read at scrape time; labelled only
// with the names of apps that exist, so nothing a client sends (host, path) becomes a label value.
import type { Knex } from 'knex';
import { stacks } from '../builders/detect.ts';
import { bounded, LABEL_VALUES } from '../core/metrics/catalogue.ts';
import { shared, whenPoolFree } from '../core/metrics/platform-sources.ts';
import { provide, type Sample } from '../core/metrics/registry.ts';
import type { RouterStats } from '../runtime/router.ts';
import type { UsageBoard } from '../runtime/usage.ts';
import { CpuTotals } from './cpu-totals.ts';

/** Where the readings come from; `apps` names the apps that exist (router counters of a destroyed app are left out). */
export interface AppMetricsSources {
  apps: () => Promise<ReadonlySet<string>>;
  router?: { stats(): Promise<RouterStats> };
  usage?: UsageBoard;
  db?: Knex;
}

const QUERY_MS = 1500;

const STACK_NAMES: readonly string[] = stacks.map((s) => s.name);

/** A build's stack as a label: one of the builders' stacks, else 'other' (a failed detection has none). */
export function stackLabel(stack: string | null | undefined): string {
  return bounded(stack, STACK_NAMES);
}

/** The names of the apps in the database, read at most once a second. */
export function appsOf(db: Knex): () => Promise<ReadonlySet<string>> {
  return shared(whenPoolFree(db, async () => new Set((await db('apps').pluck('name').timeout(QUERY_MS, { cancel: true })) as string[])));
}

/** Router latency bounds are ms; Prometheus wants seconds (and `le` as text, the last bucket +Inf). */
function toSeconds(ms: number): string {
  return String(ms / 1000);
}

/** The router's stats of the apps that exist, as the samples of each family. */
export function routerSamples(stats: RouterStats, apps: ReadonlySet<string>) {
  const requests: Sample[] = [], bytes: Sample[] = [], latency: Sample[] = [];
  for (const [app, t] of Object.entries(stats.apps)) {
    if (!apps.has(app)) continue;
    for (const cls of LABEL_VALUES.statusClass) requests.push({ labels: { app, class: cls }, value: t.responses[cls] });
    bytes.push({ labels: { app, direction: 'in' }, value: t.bytesIn }, { labels: { app, direction: 'out' }, value: t.bytesOut });
    const { bounds, counts, sum, count } = t.latencyMs;
    bounds.forEach((b, i) => latency.push({ labels: { app, le: toSeconds(b) }, value: counts[i] ?? 0, suffix: '_bucket' }));
    latency.push({ labels: { app, le: '+Inf' }, value: count, suffix: '_bucket' });
    latency.push({ labels: { app }, value: sum / 1000, suffix: '_sum' }, { labels: { app }, value: count, suffix: '_count' });
  }
  return { requests, bytes, latency, unrouted: [{ value: stats.unrouted }], open: [{ value: stats.openConnections }] };
}

/**
 * The usage board's latest reading per app and type (apps that exist only): memory and instances summed, CPU as the
 * running totals of `cpu` (a counter that never goes down when instances restart or go).
 */
export function usageSamples(board: UsageBoard, apps: ReadonlySet<string>, cpu = new CpuTotals()) {
  const per = new Map<string, { app: string; type: string; mem: number; n: number }>();
  const { usage } = board.get();
  for (const u of usage) {
    if (!apps.has(u.app)) continue;
    const key = `${u.app}\u0000${u.type}`;
    const e = per.get(key) ?? { app: u.app, type: u.type, mem: 0, n: 0 };
    e.mem += u.memoryBytes; e.n += 1;
    per.set(key, e);
  }
  const rows = [...per.values()];
  const by = (f: (e: (typeof rows)[number]) => number): Sample[] => rows.map((e) => ({ labels: { app: e.app, type: e.type }, value: f(e) }));
  return { cpu: cpu.update(usage, apps), memory: by((e) => e.mem), instances: by((e) => e.n) };
}

/** Attaches the router's families; returns what detaches them. */
function attachRouter(router: NonNullable<AppMetricsSources['router']>, apps: AppMetricsSources['apps']): Array<() => void> {
  const read = shared(async () => routerSamples(await router.stats(), await apps()));
  return [
    provide('paas_app_requests_total', async () => (await read()).requests),
    provide('paas_app_request_duration_seconds', async () => (await read()).latency),
    provide('paas_app_bytes_total', async () => (await read()).bytes),
    provide('paas_router_unrouted_requests_total', async () => (await read()).unrouted),
    provide('paas_router_connections_open', async () => (await read()).open),
  ];
}

/** Attaches the families of the processes and certificates tables. */
function attachTables(db: Knex, apps: AppMetricsSources['apps']): Array<() => void> {
  const procs = shared(whenPoolFree(db, async () => (await db('processes').select('app', 'type', 'state').sum({ restarts: 'restarts' }).count({ n: '*' })
    .groupBy('app', 'type', 'state').timeout(QUERY_MS, { cancel: true })) as Array<{ app: string; type: string; state: string; restarts: string; n: string }>));
  const restarts = async () => {
    const [rows, known] = await Promise.all([procs(), apps()]);
    return rows.filter((r) => known.has(r.app)).map((r): Sample => ({ labels: { app: r.app, type: r.type }, value: Number(r.restarts) }));
  };
  const instances = async () => {
    const [rows, known] = await Promise.all([procs(), apps()]);
    return rows.filter((r) => known.has(r.app))
      .map((r): Sample => ({ labels: { app: r.app, type: r.type, state: bounded(r.state, LABEL_VALUES.processState) }, value: Number(r.n) }));
  };
  const certs = whenPoolFree(db, async () => ((await db('certificates').whereNull('released_at').select('source', 'state').count({ n: '*' }).groupBy('source', 'state')
    .timeout(QUERY_MS, { cancel: true })) as Array<{ source: string; state: string; n: string }>).map((r): Sample => ({
    labels: { source: bounded(String(r.source), LABEL_VALUES.certSource), state: bounded(String(r.state), LABEL_VALUES.certState) }, value: Number(r.n),
  })));
  const expiry = whenPoolFree(db, async () => {
    const row = await db('certificates').where({ state: 'issued' }).whereNull('released_at').whereNotNull('expires_at')
      .first(db.raw('extract(epoch FROM min(expires_at) - now())::float AS s')).timeout(QUERY_MS, { cancel: true });
    return row?.s === null || row?.s === undefined ? [] : [{ value: Number(row.s) }];
  });
  return [
    provide('paas_app_process_restarts', restarts), provide('paas_app_processes', instances),
    provide('paas_certificates', certs), provide('paas_certificate_expiry_seconds_min', expiry),
  ];
}

/** Reports the per-app families of the controller's process; returns what stops reporting them. */
export function attachAppMetrics(sources: AppMetricsSources): () => void {
  const { router, usage, db, apps } = sources;
  const detach = [...(router ? attachRouter(router, apps) : []), ...(db ? attachTables(db, apps) : [])];
  if (usage) {
    const cpu = new CpuTotals(); // one per attachment: the totals live as long as the scrape target
    const read = async () => usageSamples(usage, await apps(), cpu);
    detach.push(
      provide('paas_app_cpu_seconds_total', async () => (await read()).cpu),
      provide('paas_app_memory_bytes', async () => (await read()).memory),
      provide('paas_app_instances', async () => (await read()).instances),
    );
  }
  return () => detach.forEach((d) => d());
}
