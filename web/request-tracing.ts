// web/request-tracing.ts — a span for every API, dashboard and git-over-HTTP request, named by its route pattern
// (`GET /api/apps/:app`), never the raw URL (which holds names, ids and tokens); 5xx answers are errors.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import { bindEmitter, contextFrom, contextOf, contextWith, failSpan, ROOT_CONTEXT, startSpan, type Span } from '../core/tracing.ts';

/**
 * Security boundary: the `traceparent` a client sends. It is not trusted: every request starts a new trace (a client
 * must not make its requests look like part of a push's trace, nor pick our trace ids); a well-formed one is kept
 * only as a link, so a caller's own tracing can still find our span. A malformed one is ignored.
 */
function clientLinks(req: FastifyRequest): Link[] {
  const header = req.headers.traceparent;
  const sc = trace.getSpanContext(contextFrom(typeof header === 'string' ? header : undefined));
  return sc ? [{ context: sc, attributes: { 'paas.link': 'client traceparent (not trusted)' } }] : [];
}

/** The span's name: method and route pattern; a request no route matched is named by its method alone. */
function spanName(req: FastifyRequest): string {
  const route = req.routeOptions.url;
  return route ? `${req.method} ${route}` : req.method;
}

/** Ends a request's span once: git's routes hijack the reply, so the socket's close ends theirs. */
function finish(span: Span, reply: FastifyReply): void {
  const status = reply.raw.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) failSpan(span, `HTTP ${status}`);
  span.end();
}

/** Adds the request spans to the app; call before any route is registered. */
export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    const route = req.routeOptions.url;
    const span = startSpan(spanName(req), {
      'http.request.method': req.method, ...(route ? { 'http.route': route } : {}),
    }, ROOT_CONTEXT, { kind: SpanKind.SERVER, links: clientLinks(req) });
    const ctx = contextOf(span, ROOT_CONTEXT);
    let ended = false;
    const end = () => { if (!ended) { ended = true; finish(span, reply); } };
    reply.raw.once('close', end);
    reply.raw.once('finish', end);
    // The body arrives in the socket's events: bound, so the route's handler and what it calls run in this trace.
    bindEmitter(ctx, req.raw);
    bindEmitter(ctx, reply.raw);
    contextWith(ctx, done);
  });
}
