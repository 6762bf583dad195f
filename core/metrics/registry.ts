// core/metrics/registry.ts — the process's one Prometheus registry: the event metrics of the catalogue as
// prom-client instruments, the collected ones as families read from providers at scrape time, and Node's default
// process metrics (prefix paas_). /metrics (web/metrics-route.ts, core/boot.ts's probes) renders it.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { COLLECTED_METRICS, EVENT_METRICS, type CollectedMetric, type EventMetric } from './catalogue.ts';

/** The registry of this process: in the all-in-one process, gitd, controller, router and web all report here. */
export const registry = new Registry();

/** One value of a collected family; `suffix` is a histogram's `_bucket` (with `le`), `_sum` or `_count`. */
export interface Sample { labels?: Record<string, string>; value: number; suffix?: '_bucket' | '_sum' | '_count' }
/** Reads a family's samples at a scrape. */
export type Provider = () => Promise<Sample[]> | Sample[];

/** How long one provider may take at a scrape before it is left out of it. */
const COLLECT_TIMEOUT_MS = 2000;

function makeInstrument(name: EventMetric) {
  const def = EVENT_METRICS[name];
  const common = { name, help: def.help, labelNames: [...def.labels], registers: [registry] };
  return def.type === 'histogram' ? new Histogram({ ...common, buckets: [...(def as { buckets: readonly number[] }).buckets] }) : new Counter(common);
}

/** The event metrics' instruments, by name. */
const instruments = Object.fromEntries(Object.keys(EVENT_METRICS).map((n) => [n, makeInstrument(n as EventMetric)])) as Record<EventMetric, Counter | Histogram>;

/** The counter `name` (an event metric of type counter). */
export function counter(name: EventMetric): Counter {
  return instruments[name] as Counter;
}

/** The histogram `name` (an event metric of type histogram). */
export function histogram(name: EventMetric): Histogram {
  return instruments[name] as Histogram;
}

const providers = new Map<CollectedMetric, Set<Provider>>();

/** Adds a provider of a collected family; returns what removes it (a stopped server or router stops reporting). */
export function provide(name: CollectedMetric, read: Provider): () => void {
  let set = providers.get(name);
  if (!set) providers.set(name, (set = new Set()));
  set.add(read);
  return () => void set.delete(read);
}

/** Runs a provider with a deadline; a failure is counted in paas_metrics_collect_errors_total and skipped. */
async function readWithin(name: CollectedMetric, read: Provider): Promise<Sample[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timed out')), COLLECT_TIMEOUT_MS); });
  try {
    return await Promise.race([Promise.resolve().then(read), deadline]);
  } catch {
    counter('paas_metrics_collect_errors_total').inc({ metric: name });
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/** The samples of all providers of a family; equal label sets are summed (two servers' open connections). */
async function gather(name: CollectedMetric): Promise<Sample[]> {
  const merged = new Map<string, Sample>();
  for (const samples of await Promise.all([...(providers.get(name) ?? [])].map((r) => readWithin(name, r)))) {
    for (const s of samples) {
      const key = `${s.suffix ?? ''}|${JSON.stringify(Object.entries(s.labels ?? {}).sort())}`;
      const seen = merged.get(key);
      if (seen) seen.value += s.value;
      else merged.set(key, { ...s, labels: { ...s.labels } });
    }
  }
  return [...merged.values()];
}

/** Registers each collected family as a custom metric whose values are read from its providers at a scrape. */
function registerCollected(): void {
  for (const [name, def] of Object.entries(COLLECTED_METRICS) as Array<[CollectedMetric, (typeof COLLECTED_METRICS)[CollectedMetric]]>) {
    registry.registerMetric({
      name, help: def.help, type: def.type, aggregator: 'sum',
      async get() {
        const samples = await gather(name);
        return { name, help: def.help, type: def.type, aggregator: 'sum', values: samples.map((s) => ({ labels: s.labels ?? {}, value: s.value, metricName: name + (s.suffix ?? '') })) };
      },
      reset() { /* read fresh at every scrape */ },
    } as unknown as Counter);
  }
}
registerCollected();

let defaultsOn = false;

/** Turns on Node's process metrics (CPU, memory, event loop, GC), prefixed paas_; once per process. */
export function startProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: registry, prefix: 'paas_' });
}

/** The Prometheus text exposition of everything this process reports, and its content type. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
