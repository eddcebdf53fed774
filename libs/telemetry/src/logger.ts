/**
 * pino JSON logs on stdout. Every line written inside an active span carries its trace_id and span_id, so a log
 * line can be found from a trace and the other way round. Child loggers (`logger.child({ component: 'broker' })`)
 * inherit the service name, the level and the trace mixin.
 */
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Where lines go; stdout by default. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
  /** Extra fields on every line (e.g. `{ version }`). */
  bindings?: Record<string, unknown>;
}

/** LOG_LEVEL is read case-insensitively; an unknown value falls back to info instead of crashing at start. */
export function resolveLogLevel(value: string | undefined): LogLevel {
  const v = value?.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v ?? '') ? (v as LogLevel) : 'info';
}

export function createLogger(service: string, level?: string, options: LoggerOptions = {}): Logger {
  const opts = {
    name: service,
    level: resolveLogLevel(level ?? process.env.LOG_LEVEL),
    base: { service, pid: process.pid, ...options.bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
