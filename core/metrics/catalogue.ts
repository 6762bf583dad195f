// core/metrics/catalogue.ts — every platform metric (`paas_*`) in one place: name, type, help and label names. The
// registry builds them from here; docs/metrics.md lists them (a test compares); the label values are bounded below.

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef { type: MetricType; help: string; labels: readonly string[]; buckets?: readonly number[] }

/** Seconds buckets for builds and deploys: a static site builds in a second, a big image in tens of minutes. */
const PIPELINE_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600] as const;
/** Seconds buckets for the push lock's database round trip. */
const LOCK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** Metrics counted as things happen (in the process where they happen). */
export const EVENT_METRICS = {
  paas_pushes_total: { type: 'counter', help: 'Push attempts to the deploy branch and other branches, by verdict (a push refused by the push lock is refused).', labels: ['outcome'] },
  paas_build_duration_seconds: { type: 'histogram', help: 'Build time, from the claim of the push to its recorded outcome.', labels: ['stack', 'outcome'], buckets: PIPELINE_BUCKETS },
  paas_deploy_duration_seconds: { type: 'histogram', help: 'Deploy time of a release (release phase, new processes, route switch), to its recorded outcome.', labels: ['stack', 'outcome'], buckets: PIPELINE_BUCKETS },
  paas_push_lock_wait_seconds: { type: 'histogram', help: "Time taken to take (or be refused) an app's push lock.", labels: ['result'], buckets: LOCK_BUCKETS },
  paas_push_lock_refusals_total: { type: 'counter', help: 'Pushes refused because another push to the same app held its lock.', labels: [] },
  paas_metrics_collect_errors_total: { type: 'counter', help: 'Scrape-time readings that failed or timed out (the metric is left out of that scrape).', labels: ['metric'] },
} as const satisfies Record<string, MetricDef>;

/** Metrics read when scraped, from what the process owns (database, bus, servers, router, usage board). */
export const COLLECTED_METRICS = {
  paas_outbox_pending: { type: 'gauge', help: 'Outbox rows (events) not yet published on the bus.', labels: [] },
  paas_outbox_oldest_pending_age_seconds: { type: 'gauge', help: 'Age of the oldest unpublished outbox row (0 when none).', labels: [] },
  paas_jetstream_consumer_pending: { type: 'gauge', help: 'Work items not yet delivered to a durable consumer (NATS mode).', labels: ['durable'] },
  paas_jetstream_consumer_ack_pending: { type: 'gauge', help: 'Work items delivered to a durable consumer and not yet acknowledged (NATS mode).', labels: ['durable'] },
  paas_ssh_connections_open: { type: 'gauge', help: 'SSH connections open to gitd.', labels: [] },
  paas_http_connections_open: { type: 'gauge', help: 'HTTP connections open to the web port (API, dashboard, git over HTTP).', labels: [] },
  paas_db_pool_used_connections: { type: 'gauge', help: "Database connections of the process's pool in use.", labels: [] },
  paas_db_pool_free_connections: { type: 'gauge', help: "Idle database connections of the process's pool.", labels: [] },
  paas_db_pool_pending_acquires: { type: 'gauge', help: 'Queries waiting for a database connection.', labels: [] },
  paas_app_process_restarts: { type: 'gauge', help: "Restarts of an app's running processes since they started (from the runtime's status).", labels: ['app', 'type'] },
  paas_app_processes: { type: 'gauge', help: "An app's process instances, by state.", labels: ['app', 'type', 'state'] },
  paas_certificates: { type: 'gauge', help: 'Certificates the platform holds, by source and state.', labels: ['source', 'state'] },
  paas_certificate_expiry_seconds_min: { type: 'gauge', help: 'Seconds until the first issued certificate expires (absent without one).', labels: [] },
  paas_app_requests_total: { type: 'counter', help: "Requests the router answered for an app, by the response's status class.", labels: ['app', 'class'] },
  paas_app_request_duration_seconds: { type: 'histogram', help: "Time from a request's head to its response's last byte, at the router.", labels: ['app'] },
  paas_app_bytes_total: { type: 'counter', help: 'Bytes the router carried for an app, in (requests) and out (responses).', labels: ['app', 'direction'] },
  paas_router_unrouted_requests_total: { type: 'counter', help: 'Requests for hosts no app is served at (never labelled by host).', labels: [] },
  paas_router_connections_open: { type: 'gauge', help: 'Client connections open to the router.', labels: [] },
  paas_app_cpu_seconds_total: { type: 'counter', help: "CPU time of an app's processes of a type: a running total of its instances' increases, never lower.", labels: ['app', 'type'] },
  paas_app_memory_bytes: { type: 'gauge', help: "Memory of an app's processes of a type, summed over instances (as last sampled).", labels: ['app', 'type'] },
  paas_app_instances: { type: 'gauge', help: 'Process instances of an app and type that the usage sampler last read.', labels: ['app', 'type'] },
} as const satisfies Record<string, MetricDef>;

export type EventMetric = keyof typeof EVENT_METRICS;
export type CollectedMetric = keyof typeof COLLECTED_METRICS;

/** Every platform metric, by name. */
export const METRICS: Readonly<Record<EventMetric | CollectedMetric, MetricDef>> = { ...EVENT_METRICS, ...COLLECTED_METRICS };

/** The bounded values of the labels that are not app names; anything else is reported as 'other'. */
export const LABEL_VALUES = {
  pushOutcome: ['succeeded', 'failed', 'refused', 'stored'],
  pipelineOutcome: ['succeeded', 'failed'],
  lockResult: ['acquired', 'refused'],
  statusClass: ['1xx', '2xx', '3xx', '4xx', '5xx'],
  direction: ['in', 'out'],
  processState: ['starting', 'up', 'crashed', 'exited', 'stopping'],
  certSource: ['acme', 'upload'],
  certState: ['pending', 'issued', 'failed'],
} as const;

/** The value if it is one of `allowed`, else 'other': the security boundary that keeps a label's values bounded. */
export function bounded(value: string | null | undefined, allowed: readonly string[]): string {
  return value !== null && value !== undefined && allowed.includes(value) ? value : 'other';
}
