/** The WAHA envelope around one mapped event, with `connectionId` (docs/events.md). */
import { newEventId, type WhatsAppEventPayload } from '@wahooks/contracts';
import type { MappedEvent, Me } from './index.js';

export interface EnvelopeContext {
  connectionId: string;
  userId: string;
  session: string; // WAHA session name (`u_…_s_…`)
  me?: Me | null;
  engineVersion: string;
}

export function buildEnvelope(mapped: MappedEvent, ctx: EnvelopeContext, nowMs: number): WhatsAppEventPayload {
  return {
    id: newEventId(nowMs), // fixed when the event enters the outbox, so stable across retries
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
