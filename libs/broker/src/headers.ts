/** AMQP header names the broker writes and reads; `x-wahooks-*` are ours, the rest are RabbitMQ's or W3C's. */
export const Headers = {
  /** epoch ms after which an RPC request is worthless: the server skips it, the client has given up. */
  deadline: 'x-deadline',
  /** 1 on the first delivery of an event to a handler, +1 per retry copy. */
  attempt: 'x-wahooks-attempt',
  /** why a message was dead-lettered (handler error message, schema issues, unknown type). */
  deathReason: 'x-wahooks-death-reason',
  /** the queue the message was taken from when it was dead-lettered (replay target). */
  originalQueue: 'x-wahooks-original-queue',
  /** the exchange and routing key it was first published with. */
  originalExchange: 'x-wahooks-original-exchange',
  originalRoutingKey: 'x-wahooks-original-routing-key',
  /** an RPC error reply's extra HTTP headers (e.g. Retry-After), JSON. */
  httpHeaders: 'x-wahooks-http-headers',
  /** ISO-8601 time of dead-lettering. */
  deadAt: 'x-wahooks-dead-at',
} as const;

export type AmqpHeaders = Record<string, unknown>;

/** Header values can arrive as Buffers (long strings) or numbers; read them as text. */
export const headerString = (headers: AmqpHeaders | undefined, key: string): string | undefined => {
  const v = headers?.[key];
  if (v === undefined || v === null) return undefined;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
};

export const headerNumber = (headers: AmqpHeaders | undefined, key: string): number | undefined => {
  const s = headerString(headers, key);
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};
