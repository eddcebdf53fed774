/**
 * connection_sessions{status}: the WhatsApp sessions this replica holds, by status (`pending`, `scan_qr`,
 * `working`, `failed`, `stopped`, and `starting` before a first status), read at scrape time from the session
 * managers' maps: nothing is counted on the session's own paths. Sum over replicas for the fleet.
 */
import { ConnectionStatus } from '@wahooks/contracts';
import { gauge } from '@wahooks/metrics';

interface HasStatus {
  readonly status: string | undefined;
}

const sources = new Set<() => Iterable<HasStatus>>();
const STATUSES = [...ConnectionStatus.options, 'starting'];

gauge({
  name: 'connection_sessions',
  help: 'WhatsApp sessions held by this replica, by status',
  labelNames: ['status'],
  collect() {
    const counts = new Map<string, number>(STATUSES.map((s) => [s, 0]));
    for (const list of sources)
      for (const session of list()) {
        const status = session.status ?? 'starting';
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
    for (const [status, n] of counts) this.set({ status }, n);
  },
});

/** Report a manager's sessions until the returned function is called (its stop()). */
export function trackSessions(list: () => Iterable<HasStatus>): () => void {
  sources.add(list);
  return () => sources.delete(list);
}
