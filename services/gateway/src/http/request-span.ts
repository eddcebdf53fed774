/**
 * The HTTP request is the root of its trace. In production the http instrumentation (libs/telemetry) already
 * opened a server span and we only name it after the route; otherwise (tests, no SDK) we open one here. Either
 * way the rest of the chain, and so every broker.request, runs inside that span's context.
 */
import type { RequestHandler } from 'express';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

// Looked up per request: a tracer taken at import time stays a no-op if a provider is registered later (tests).
const tracer = () => trace.getTracer('@wahooks/gateway');

export function requestSpan(method: string, route: string): RequestHandler {
  const name = `${method.toUpperCase()} ${route}`;
  return (req, res, next) => {
    const active = trace.getActiveSpan();
    if (active) {
      active.updateName(name);
      active.setAttribute('http.route', route);
      return next();
    }
    // Honour an incoming traceparent (e.g. from a proxy or a client that traces).
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(
      name,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.path },
      },
      parent,
    );
    // 'close' follows 'finish' on a completed response and also fires when the client goes away: one listener.
    res.once('close', () => {
      if (res.writableFinished) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
