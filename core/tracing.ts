// core/tracing.ts — OpenTelemetry for every platform process: the tracer provider (set up once by core/boot.ts),
// the OTLP/HTTP export when an endpoint is configured, and the helpers the pipeline uses to make spans and to carry
// a trace across processes as a W3C `traceparent` string (outbox rows, NATS headers).
import {
  context, ROOT_CONTEXT, SpanStatusCode, trace, isSpanContextValid,
  type Attributes, type Context, type Span, type SpanOptions,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, SimpleSpanProcessor,
  type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './observability-config.ts';

export type { Context, Span };

/** Attribute names the pipeline's spans carry (docs/tracing.md). */
export const attr = {
  app: 'paas.app', buildNumber: 'paas.build.number', buildId: 'paas.build.id', outcome: 'paas.outcome',
  releaseVersion: 'paas.release.version', processType: 'paas.process.type', processIndex: 'paas.process.index',
  postdeployFailed: 'paas.postdeploy.failed',
} as const;

export interface Tracing {
  /** True when spans leave the process (an OTLP endpoint, or a test's exporter). */
  exporting: boolean;
  /** Sends what is buffered and stops exporting; called last on a process stop. */
  shutdown(): Promise<void>;
}

/** `exporter`: a test's in-memory exporter, used instead of OTLP (synchronously, so assertions need no waiting). */
export interface TracingOptions { exporter?: SpanExporter }

let installed: Tracing | undefined;
/** How long a stopping process waits for its last spans to be sent. */
const shutdownFlushMs = 5000;
const propagator = new W3CTraceContextPropagator();
const tracer = () => trace.getTracer('paas');

/**
 * Installs the process's tracer provider once (later calls return the first). Without an endpoint, spans are not
 * recorded (a sampler that says no): they still get ids, for the log lines and the push's first line, at near-zero cost.
 */
export function initTracing(processName: string, config: TracingConfig, opts: TracingOptions = {}): Tracing {
  if (installed) return installed;
  const processors: SpanProcessor[] = [];
  if (opts.exporter) processors.push(new SimpleSpanProcessor(opts.exporter));
  else if (config.endpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers } })));
  const exporting = processors.length > 0;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName ?? `paas-${processName}` }),
    sampler: exporting ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
    spanProcessors: processors,
  });
  provider.register({ propagator });
  installed = {
    exporting,
    async shutdown() {
      // Export failures (the collector is away) must not turn a clean stop into an unclean one, nor hold it up:
      // what cannot be sent within a few seconds is dropped.
      const sent = provider.forceFlush().then(() => provider.shutdown()).catch(() => undefined);
      await Promise.race([sent, new Promise((r) => setTimeout(r, shutdownFlushMs).unref())]);
    },
  };
  return installed;
}

/**
 * Runs fn inside a new span (a child of the active one): an exception is recorded, sets the error status and is
 * rethrown; the span ends when fn's promise settles.
 */
export function withSpan<T>(name: string, attrs: Attributes, fn: (span: Span) => T | Promise<T>, opts: SpanOptions = {}): Promise<T> {
  return tracer().startActiveSpan(name, { ...opts, attributes: attrs }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Starts a span the caller ends (one that outlives a function call: a push's receive); a child of `parent`. */
export function startSpan(name: string, attrs: Attributes, parent: Context = context.active(), opts: SpanOptions = {}): Span {
  return tracer().startSpan(name, { ...opts, attributes: attrs }, parent);
}

/** The context with `span` active: pass it to contextWith, or keep it (a push session) for later children. */
export function contextOf(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/** The span a context holds (a push session's receive span), if any. */
export function spanOf(ctx: Context): Span | undefined {
  return trace.getSpan(ctx);
}

/** The active context. */
export function currentContext(): Context {
  return context.active();
}

/** Runs fn with `ctx` as the active context. */
export function contextWith<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** The W3C traceparent of a context (the active one by default); undefined when it has no valid span. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, { set: (c, k, v) => { c[k] = v; } });
  return carrier.traceparent;
}

/** Anything longer is not a traceparent (version 00 is 55 characters; later versions may append, briefly). */
const maxTraceparent = 256;

/**
 * Security boundary: a traceparent from another process's message (a NATS header, an outbox row). Anything that is
 * not a well-formed W3C traceparent (or is oversized, or all-zero) gives the root context: a new trace, never a crash.
 */
export function contextFrom(traceparent: unknown): Context {
  if (typeof traceparent !== 'string' || traceparent.length === 0 || traceparent.length > maxTraceparent) return ROOT_CONTEXT;
  const ctx = propagator.extract(ROOT_CONTEXT, { traceparent }, { get: (c, k) => c[k as 'traceparent'], keys: (c) => Object.keys(c) });
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? ctx : ROOT_CONTEXT;
}

/** The active trace's id (32 hex digits), or undefined outside any span. */
export function currentTraceId(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? sc.traceId : undefined;
}

/** Adds attributes to the active span (a value known only midway: the build id of a push). */
export function annotate(attrs: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attrs);
}

/** Marks a span failed (5xx, a failed push) without an exception to record. */
export function failSpan(span: Span | undefined, message: string): void {
  span?.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Marks the active span failed. */
export function failActive(message: string): void {
  failSpan(trace.getActiveSpan(), message);
}

/** Binds an event emitter's listeners to a context (a request's streams, whose events come from the socket). */
export function bindEmitter<E extends NodeJS.EventEmitter>(ctx: Context, emitter: E): E {
  return context.bind(ctx, emitter);
}

export { ROOT_CONTEXT };
