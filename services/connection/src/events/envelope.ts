/** The WAHA envelope around one mapped event (SPEC §4.2, with `connectionId` per §9 #10). */
import { monotonicFactory } from 'ulid';
import type { WhatsAppEventPayload } from '@wahooks/contracts';
import type { MappedEvent, Me } from './index.js';

const ulid = monotonicFactory();

/** `evt_` + a lower-case ULID: sortable, unique; fixed when the event enters the outbox, so stable across retries. */
export const newEventId = (nowMs: number = Date.now()): string => `evt_${ulid(nowMs).toLowerCase()}`;

export interface EnvelopeContext {
  connectionId: string;
  userId: string;
  session: string; // WAHA session name (`u_…_s_…`)
  me?: Me | null;
  engineVersion: string;
}

export function buildEnvelope(mapped: MappedEvent, ctx: EnvelopeContext, nowMs: number): WhatsAppEventPayload {
  return {
    id: newEventId(nowMs),
    timestamp: nowMs,
    event: mapped.event,
    session: ctx.session,
    connectionId: ctx.connectionId,
    userId: ctx.userId,
    metadata: {},
    me: ctx.me ?? null,
    payload: mapped.payload,
    engine: 'NOWEB',
    environment: { version: ctx.engineVersion, engine: 'NOWEB', tier: 'CORE', browser: null },
  };
}
