// Unit tests for web/request-tracing.ts with fastify's inject(): spans named by route pattern (never the raw URL, which
// is hostile input: names, ids, tokens), 5xx as errors, and a client's traceparent, well-formed or not, never trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { currentTraceId, initTracing, withSpan } from '../core/tracing.ts';
import { traceRequests } from './request-tracing.ts';

const exporter = new InMemorySpanExporter();
initTracing('web-unit', { headers: {} }, { exporter });

async function app() {
  const a = Fastify();
  traceRequests(a);
  a.get('/api/apps/:app', async () => ({ trace: currentTraceId() }));
  a.post('/api/apps/:app/echo', async (req) => withSpan('inner', {}, () => ({ body: req.body, trace: currentTraceId() })));
  a.get('/boom', async () => { throw new Error('boom'); });
  await a.ready();
  return a;
}

test('a request span is named by method and route pattern, with the status; the handler runs in its trace', async () => {
  exporter.reset();
  const a = await app();
  const res = await a.inject({ method: 'GET', url: '/api/apps/secret-name?token=abc' });
  const span = exporter.getFinishedSpans().find((s) => s.name === 'GET /api/apps/:app')!;
  assert.ok(span, exporter.getFinishedSpans().map((s) => s.name).join(', '));
  assert.equal(res.json().trace, span.spanContext().traceId);
  assert.equal(span.attributes['http.response.status_code'], 200);
  assert.equal(span.attributes['http.route'], '/api/apps/:app');
  assert.ok(!exporter.getFinishedSpans().some((s) => s.name.includes('secret-name') || JSON.stringify(s.attributes).includes('abc')), 'no raw URL');
});

test('a request with a body keeps its trace into the handler and its child spans; a 5xx is an error, an unmatched route is named by its method', async () => {
  exporter.reset();
  const a = await app();
  const res = await a.inject({ method: 'POST', url: '/api/apps/x/echo', payload: { a: 1 } });
  const request = exporter.getFinishedSpans().find((s) => s.name === 'POST /api/apps/:app/echo')!;
  const inner = exporter.getFinishedSpans().find((s) => s.name === 'inner')!;
  assert.equal(res.json().trace, request.spanContext().traceId);
  assert.equal(inner.parentSpanContext?.spanId, request.spanContext().spanId);
  await a.inject({ method: 'GET', url: '/boom' });
  assert.equal(exporter.getFinishedSpans().find((s) => s.name === 'GET /boom')!.status.code, SpanStatusCode.ERROR);
  await a.inject({ method: 'GET', url: '/no/such/path/with-a-name' });
  const unmatched = exporter.getFinishedSpans().find((s) => s.attributes['http.response.status_code'] === 404)!;
  assert.equal(unmatched.name, 'GET');
});

test('a client traceparent is not trusted: a well-formed one is a link of a new trace, a malformed or oversized one is ignored', async () => {
  const a = await app();
  const theirs = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
  for (const [header, linked] of [[theirs, true], ['00-garbage', false], [`${theirs}-${'x'.repeat(8000)}`, false], [`00-${'0'.repeat(32)}-${'cd'.repeat(8)}-01`, false]] as const) {
    exporter.reset();
    const res = await a.inject({ method: 'GET', url: '/api/apps/x', headers: { traceparent: header } });
    assert.equal(res.statusCode, 200);
    const span = exporter.getFinishedSpans()[0]!;
    assert.notEqual(span.spanContext().traceId, 'ab'.repeat(16));
    assert.equal(span.parentSpanContext, undefined, 'a root span');
    assert.equal(span.links.length, linked ? 1 : 0, header.slice(0, 40));
    if (linked) assert.equal(span.links[0]!.context.traceId, 'ab'.repeat(16));
  }
});
