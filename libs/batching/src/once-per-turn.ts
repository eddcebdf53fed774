/**
 * The one way to batch what arrives in one event-loop turn. `schedule()` may be called any number of times; `flush`
 * runs once, from `setImmediate`: in the check phase right after the poll phase, so every message or request read
 * from the sockets in this turn (each socket read runs its callbacks, and their microtasks, before the next) has
 * been handed over by then. `queueMicrotask` would flush after the first socket read's callbacks and batch
 * nothing under load; a timer would add latency. A `schedule()` from inside `flush` arms the next turn.
 *
 * Costs one closure when created and one `setImmediate` per turn that has work, nothing per item.
 */
export function oncePerTurn(flush: () => void): () => void {
  let scheduled = false;
  const run = () => {
    scheduled = false;
    flush();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(run);
  };
}
