/**
 * The broker's Prometheus metrics (served by each service's /metrics, libs/metrics). Cells are bound once per
 * command or queue and kept in maps, so counting a message is a map lookup and an addition, no allocation.
 *
 * - broker_rpc_client_duration_seconds{command,outcome}: a `request` from send to answer or failure; outcome
 *   `ok`, `4xx`/`5xx` (the server's error reply), or why there was no answer: `timeout`, `unroutable`,
 *   `not-sent`, `lost` (rpc-failure.ts).
 * - broker_rpc_client_timeouts_total{command}: requests that passed their deadline.
 * - broker_rpc_server_duration_seconds{command,outcome}: a handler's run (parse, handle, check the reply);
 *   outcome `ok`, `4xx`, `5xx` (an unexpected throw counts as 5xx); command `unknown` for a name not served.
 * - broker_messages_consumed_total{queue} / broker_handler_errors_total{queue}: deliveries taken from a queue,
 *   and handler runs that failed (an event handler that threw, a raw handler that threw, a command that ended in
 *   5xx). A server-named queue (amq.gen-…) is labelled with its consumer's label (`events:auth-cache`, `routed:…`).
 * - broker_reconnects_total: connections re-established after a loss; broker_connected: 1 while connected.
 */
import type { RpcReply } from '@wahooks/contracts';
import { counter, gauge, histogram, type CounterCell, type HistogramCell } from '@wahooks/metrics';
import { rpcFailureOf, type RpcFailureKind } from './rpc-failure.js';

export type RpcOutcome = 'ok' | '4xx' | '5xx' | RpcFailureKind;

const rpcClientSeconds = histogram({
  name: 'broker_rpc_client_duration_seconds',
  help: 'RPC requests from send to answer or failure, by command and outcome',
  labelNames: ['command', 'outcome'],
});
const rpcClientTimeouts = counter({
  name: 'broker_rpc_client_timeouts_total',
  help: 'RPC requests that got no answer by their deadline, by command',
  labelNames: ['command'],
});
const rpcServerSeconds = histogram({
  name: 'broker_rpc_server_duration_seconds',
  help: 'RPC handler runs, by command and outcome',
  labelNames: ['command', 'outcome'],
});
const consumed = counter({
  name: 'broker_messages_consumed_total',
  help: 'Messages delivered to this process, by queue',
  labelNames: ['queue'],
});
const handlerErrors = counter({
  name: 'broker_handler_errors_total',
  help: 'Message handler runs that failed, by queue',
  labelNames: ['queue'],
});
export const reconnects = counter({
  name: 'broker_reconnects_total',
  help: 'Broker connections re-established after a loss',
}).child();

/** Every live broker connection of this process says whether it is connected (tests may have several). */
const connectionStates = new Set<() => boolean>();
gauge({
  name: 'broker_connected',
  help: '1 while every broker connection of this process is up',
  collect() {
    let up = connectionStates.size > 0;
    for (const isUp of connectionStates) up &&= isUp();
    this.set(up ? 1 : 0);
  },
});
export function trackConnection(isConnected: () => boolean): () => void {
  connectionStates.add(isConnected);
  return () => connectionStates.delete(isConnected);
}

type OutcomeCells = Record<RpcOutcome, HistogramCell>;
const OUTCOMES: readonly RpcOutcome[] = ['ok', '4xx', '5xx', 'timeout', 'unroutable', 'not-sent', 'lost'];
const outcomeCells = (family: typeof rpcClientSeconds, command: string): OutcomeCells =>
  Object.fromEntries(OUTCOMES.map((o) => [o, family.child(command, o)])) as OutcomeCells;

const clientCells = new Map<string, { seconds: OutcomeCells; timeouts: CounterCell }>();
export function observeRpcClient(command: string, outcome: RpcOutcome, seconds: number): void {
  let cells = clientCells.get(command);
  if (!cells)
    clientCells.set(
      command,
      (cells = { seconds: outcomeCells(rpcClientSeconds, command), timeouts: rpcClientTimeouts.child(command) }),
    );
  cells.seconds[outcome].observe(seconds);
  if (outcome === 'timeout') cells.timeouts.inc();
}

const serverCells = new Map<string, OutcomeCells>();
export function observeRpcServer(command: string, outcome: RpcOutcome, seconds: number): void {
  let cells = serverCells.get(command);
  if (!cells) serverCells.set(command, (cells = outcomeCells(rpcServerSeconds, command)));
  cells[outcome].observe(seconds);
}

/** The outcome of an error reply: its status class. */
export const statusOutcome = (statusCode: number): RpcOutcome => (statusCode >= 500 ? '5xx' : '4xx');

interface QueueCells {
  consumed: CounterCell;
  errors: CounterCell;
}
const queueCells = new Map<string, QueueCells>();
/** Server-named queues → their consumer's label (one per live consumer; replaced on reconnect). */
const aliases = new Map<string, string>();

function cellsOf(queue: string): QueueCells {
  const label = aliases.get(queue) ?? queue;
  let cells = queueCells.get(label);
  if (!cells) queueCells.set(label, (cells = { consumed: consumed.child(label), errors: handlerErrors.child(label) }));
  return cells;
}

/**
 * The consumed-messages cell of a queue a consumer has just declared (once per channel setup). A server-named
 * queue is labelled `label` instead; `previous` is the queue of this consumer's last setup, whose alias goes.
 */
export function consumedCell(queue: string, label: string, previous?: string): CounterCell {
  if (previous !== undefined && previous !== queue) aliases.delete(previous);
  if (queue.startsWith('amq.gen-')) aliases.set(queue, label);
  return cellsOf(queue).consumed;
}

/** One failed handler run of a message from `queue` (error paths only). */
export function countHandlerError(queue: string): void {
  cellsOf(queue).errors.inc();
}

/** The outcome of a failed request: why no answer came, else the error reply's status class. */
export function outcomeOfError(err: unknown): RpcOutcome {
  const failure = rpcFailureOf(err);
  if (failure) return failure;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? statusOutcome(status) : '5xx';
}

/** A command handled (command-dispatch.ts): its duration by outcome; a 5xx is also a handler error of `queue`. */
export function observeDispatch(command: string, reply: RpcReply, queue: string | undefined, seconds: number): void {
  const outcome = reply.ok ? 'ok' : statusOutcome(reply.error.statusCode);
  observeRpcServer(command, outcome, seconds);
  if (outcome === '5xx' && queue !== undefined) countHandlerError(queue);
}
