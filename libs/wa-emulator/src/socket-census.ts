/**
 * How many sockets each linked account has open, for tests of the one-socket-per-session guarantee. A socket counts
 * from its successful login (the moment the server knows whose it is) until it closes; a second login while the
 * first socket is still open counts 2 even though the server then replaces the first one (440 conflict), because
 * real WhatsApp would have seen two clients of one device at once.
 */

export interface SocketEvent {
  /** Date.now() when the server saw it */
  at: number;
  event: 'open' | 'close';
  /** the emulator's connection id (Connection.id) */
  connection: number;
  /** sockets of the account open right after this event */
  open: number;
}

export interface SocketCount {
  phone: string;
  /** open right now */
  open: number;
  /** the most ever open at the same time (high-water mark) */
  maxConcurrent: number;
  /** every open and close, oldest first */
  history: SocketEvent[];
}

export class SocketCensus {
  private readonly byPhone = new Map<string, { open: Set<number>; maxConcurrent: number; history: SocketEvent[] }>();
  private readonly phoneOf = new Map<number, string>();

  /** A socket logged in as `phone`. */
  opened(phone: string, connection: number): void {
    if (this.phoneOf.has(connection)) return;
    const entry = this.entry(phone);
    this.phoneOf.set(connection, phone);
    entry.open.add(connection);
    entry.maxConcurrent = Math.max(entry.maxConcurrent, entry.open.size);
    entry.history.push({ at: Date.now(), event: 'open', connection, open: entry.open.size });
  }

  /** A socket closed (logged in or not: only logged-in ones were counted). */
  closed(connection: number): void {
    const phone = this.phoneOf.get(connection);
    if (phone === undefined) return;
    this.phoneOf.delete(connection);
    const entry = this.entry(phone);
    entry.open.delete(connection);
    entry.history.push({ at: Date.now(), event: 'close', connection, open: entry.open.size });
  }

  count(phone: string): SocketCount {
    const entry = this.byPhone.get(phone);
    return {
      phone,
      open: entry?.open.size ?? 0,
      maxConcurrent: entry?.maxConcurrent ?? 0,
      history: entry ? entry.history.map((e) => ({ ...e })) : [],
    };
  }

  private entry(phone: string) {
    let entry = this.byPhone.get(phone);
    if (!entry) this.byPhone.set(phone, (entry = { open: new Set(), maxConcurrent: 0, history: [] }));
    return entry;
  }
}
