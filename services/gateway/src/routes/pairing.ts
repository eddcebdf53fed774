/** Pairing by phone-number code (docs/api.md): a thin forward to the connection service. */
import { z } from 'zod';
import { PairCodeBody, PairingCode, RequestPairingCode } from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

const idParams = z.object({ id: z.string().meta({ description: 'The connection id (uuid)' }) });

export const pairingRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/pair-code',
    auth: true,
    tag: 'connections',
    summary: 'Link by phone-number code instead of a QR: the 8-character code to type on the phone',
    description:
      'For servers with no screen. On the phone: WhatsApp → Linked devices → Link a device → "Link with phone number instead", then type the code. The connection becomes `connected` (and `session.status` WORKING is sent) as with a QR. 409 when the connection is already linked; 503 + Retry-After while its session is starting (retry).',
    params: idParams,
    body: PairCodeBody,
    bodyLimit: '16kb',
    response: PairingCode,
    errors: [403, 404, 409, 503],
    handler: ({ broker, user, params, body }) =>
      broker.request(
        RequestPairingCode,
        { userId: user.id, connectionId: params.id, phoneNumber: body.phoneNumber },
        { timeoutMs: 25_000 },
      ),
  }),
];
