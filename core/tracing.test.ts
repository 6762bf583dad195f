// Unit tests for core/tracing.ts and the trace_id of log lines (core/logger.ts): spans go to an in-memory exporter
// installed once for this test file's process; hostile traceparents give a new trace, never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { contextFrom, contextWith, currentTraceId, initTracing, traceparentOf, withSpan } from './tracing.ts';
import { createLogger } from './logger.ts';

const execFileAsync = promisify(execFile);

const exporter = new InMemorySpanExporter();
const tracing = initTracing('unit', { headers: {} }, { exporter });

const spanNamed = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);

test('initTracing installs once; the service name is paas-<process>', async () => {
  assert.equal(initTracing('other', { headers: {}, serviceName: 'x' }), tracing, 'a second call returns the first');
  await withSpan('named', {}, () => undefined);
  assert.equal(spanNamed('named')!.resource.attributes['service.name'], 'paas-unit');
});

test('withSpan ends the span, nests children, and records a thrown error as the error status', async () => {
  exporter.reset();
  await assert.rejects(withSpan('outer', { 'paas.app': 'shop' }, () => withSpan('inner', {}, () => { throw new Error('boom'); })), /boom/);
  const outer = spanNamed('outer')!, inner = spanNamed('inner')!;
  assert.equal(inner.parentSpanContext?.spanId, outer.spanContext().spanId);
  assert.equal(inner.spanContext().traceId, outer.spanContext().traceId);
  assert.equal(inner.status.code, SpanStatusCode.ERROR);
  assert.equal(inner.events[0]?.name, 'exception');
  assert.equal(outer.attributes['paas.app'], 'shop');
});

test('traceparentOf and contextFrom carry a span across a boundary: the far side is a child in the same trace', async () => {
  exporter.reset();
  let carried = '';
  await withSpan('sender', {}, () => { carried = traceparentOf()!; });
  assert.match(carried, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  await contextWith(contextFrom(carried), () => withSpan('receiver', {}, () => undefined));
  const sender = spanNamed('sender')!, receiver = spanNamed('receiver')!;
  assert.equal(receiver.spanContext().traceId, sender.spanContext().traceId);
  assert.equal(receiver.parentSpanContext?.spanId, sender.spanContext().spanId);
  assert.equal(traceparentOf(contextFrom(undefined)), undefined, 'no trace outside a span');
});

test('a malformed or oversized traceparent gives a new trace (the root context), never a throw', async () => {
  const hostile: unknown[] = [
    'garbage', '00-zz-yy-01', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`,
    `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-${'x'.repeat(10_000)}`, 'ff-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01',
    42, { traceparent: 'x' }, '\u0000\n\r', '',
  ];
  for (const value of hostile) {
    const ctx = contextFrom(value);
    assert.equal(currentTraceId(ctx), undefined, `ignored: ${String(value).slice(0, 40)}`);
    exporter.reset();
    await contextWith(ctx, () => withSpan('fresh', {}, () => undefined));
    assert.equal(spanNamed('fresh')!.parentSpanContext, undefined, 'a root span');
  }
});

test('a log line inside a span carries trace_id; one outside carries none', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const log = createLogger('info', 'paas-unit', sink);
  let traceId = '';
  await withSpan('logged', {}, () => { traceId = currentTraceId()!; log.info('inside'); });
  log.info('outside');
  assert.equal(lines[0]!.trace_id, traceId);
  assert.match(String(lines[0]!.span_id), /^[0-9a-f]{16}$/);
  assert.equal(lines[1]!.trace_id, undefined);
});

test('without an endpoint nothing is recorded or exported, yet spans have ids and carry a traceparent (sampled off)', () => {
  // Its own process: the provider is installed once per process, and this file's has an exporter.
  const script = `import('./core/tracing.ts').then(async (t) => {
    const tr = t.initTracing('bare', { headers: {} });
    await t.withSpan('x', {}, (span) => console.log(JSON.stringify({ exporting: tr.exporting, recording: span.isRecording(), id: t.currentTraceId(), tp: t.traceparentOf() })));
  })`;
  const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' }));
  assert.equal(out.exporting, false);
  assert.equal(out.recording, false);
  assert.match(out.id, /^[0-9a-f]{32}$/);
  assert.equal(out.tp, `00-${out.id}-${out.tp.slice(36, 52)}-00`);
});

test('a collector that never answers neither throws nor holds up a stop for more than a few seconds', async (t) => {
  // A port that takes connections and says nothing: the worst a collector can do.
  const held: net.Socket[] = [];
  const silent = net.createServer((socket) => { held.push(socket); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.after(() => { held.forEach((s) => s.destroy()); silent.close(); });
  const { port } = silent.address() as net.AddressInfo;
  const script = `import('./core/tracing.ts').then(async (t) => {
    const tr = t.initTracing('lonely', { endpoint: 'http://127.0.0.1:${port}/v1/traces', headers: {} });
    await t.withSpan('x', {}, () => undefined);
    const t0 = Date.now();
    await tr.shutdown();
    console.log(JSON.stringify({ exporting: tr.exporting, ms: Date.now() - t0 }));
  })`;
  const out = JSON.parse((await execFileAsync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' })).stdout);
  assert.equal(out.exporting, true);
  assert.ok(held.length > 0, 'the exporter tried the collector');
  assert.ok(out.ms < 6000, `shutdown took ${out.ms} ms`);
});
