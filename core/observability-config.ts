// core/observability-config.ts — the settings of metrics and tracing, read once at boot by core/config.ts:
// PAAS_METRICS_TOKEN, PAAS_METRICS_SAMPLE_MS and the standard OpenTelemetry variables (OTEL_*).
import { wholeNumber } from './env-numbers.ts';

export interface MetricsConfig {
  /**
   * PAAS_METRICS_TOKEN: the bearer token a scraper sends for /metrics on the web port (an admin's API token works
   * too). Unset: only admins' tokens on the web port, and /metrics is off on the health ports of the split deployment.
   */
  token?: string;
  /**
   * PAAS_METRICS_SAMPLE_MS: how often the controller samples router traffic and process usage (default 10 s, at most
   * 10 s: each 10 s bucket of app_metrics must get a sample, or the next would hold two intervals).
   */
  sampleIntervalMs: number;
}

export interface TracingConfig {
  /**
   * Where spans go over OTLP/HTTP: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT plus
   * `/v1/traces`. Unset (or OTEL_TRACES_EXPORTER=none, or OTEL_SDK_DISABLED=true): nothing is exported.
   */
  endpoint?: string;
  /** OTEL_EXPORTER_OTLP_HEADERS / OTEL_EXPORTER_OTLP_TRACES_HEADERS: `k=v,k2=v2`, sent with each export. */
  headers: Readonly<Record<string, string>>;
  /** OTEL_SERVICE_NAME; unset: `paas-<process>` (paas-all, paas-web, paas-gitd, paas-controller). */
  serviceName?: string;
}

/** PAAS_METRICS_* from the environment. */
export function loadMetricsConfig(env: NodeJS.ProcessEnv): Readonly<MetricsConfig> {
  return Object.freeze({
    token: env.PAAS_METRICS_TOKEN || undefined,
    sampleIntervalMs: wholeNumber('PAAS_METRICS_SAMPLE_MS', env.PAAS_METRICS_SAMPLE_MS, 10_000, 100, 10_000),
  });
}

/** The OTEL_* variables the platform honours. */
export function loadTracingConfig(env: NodeJS.ProcessEnv): Readonly<TracingConfig> {
  const off = env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  const base = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT)?.replace(/\/+$/, '');
  const traces = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const endpoint = off ? undefined : traces || (base ? `${base}/v1/traces` : undefined);
  return Object.freeze({
    endpoint,
    headers: Object.freeze(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS
      ? toHeaders('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env.OTEL_EXPORTER_OTLP_TRACES_HEADERS)
      : toHeaders('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS)),
    serviceName: env.OTEL_SERVICE_NAME || undefined,
  });
}

/** An http(s) URL, or undefined when unset; anything else stops the boot with a message naming the variable. */
function httpUrl(name: string, raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL | undefined;
  try { url = new URL(raw); } catch { url = undefined; }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`${name} must be an http:// or https:// URL (an OTLP/HTTP receiver, e.g. http://localhost:4318), got "${raw}"`);
  }
  return raw;
}

/** `k=v,k2=v2` (values URL-encoded, as the OTel spec has them). */
function toHeaders(name: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new Error(`${name} must be k=v,k2=v2 with URL-encoded values, got "${raw}"`);
    }
  }
  return out;
}
