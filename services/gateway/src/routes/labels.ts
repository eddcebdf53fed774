/** Labels (docs/api.md): the WhatsApp Business labels a connection has seen, and the chats each is on. */
import { z } from 'zod';
import { LabelChat, LabelId, ListLabelChats, ListLabels, WahaLabel } from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

const ConnectionId = z.string().meta({ description: 'The connection id (uuid)' });
const tag = 'labels';
const description =
  'Labels are a WhatsApp Business feature, synced from the phone (see the label.* events); answered from what the connection stored, also while no worker holds its session.';

export const labelRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/labels',
    auth: true,
    tag,
    summary: 'The labels of a connection: [{id, name, color, colorHex}]',
    description,
    params: z.object({ id: ConnectionId }),
    response: z.array(WahaLabel),
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) => broker.request(ListLabels, { userId: user.id, connectionId: params.id }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/labels/:labelId/chats',
    auth: true,
    tag,
    summary: 'The chats a label is on: [{id}]',
    description,
    params: z.object({ id: ConnectionId, labelId: LabelId }),
    response: z.array(LabelChat),
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(ListLabelChats, { userId: user.id, connectionId: params.id, labelId: params.labelId }),
  }),
];
