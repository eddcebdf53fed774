/** Number checks (docs/api.md): is a phone number on WhatsApp, before a bot sends to it. */
import { z } from 'zod';
import { CheckContacts, CheckContactQuery, CheckContactsBody, ContactCheck } from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

const idParams = z.object({ id: z.string().meta({ description: 'The connection id (uuid)' }) });
const tag = 'contacts';
const description =
  'Answers are cached for a few minutes per connection. 409 when the connection is not linked; 503 + Retry-After while no worker holds its session.';

export const contactRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/contacts/check',
    auth: true,
    tag,
    summary: 'Is this phone number on WhatsApp: [{phone, exists, chatId}]',
    description,
    params: idParams,
    query: CheckContactQuery,
    response: z.array(ContactCheck),
    errors: [403, 404, 409, 503],
    handler: ({ broker, user, params, query }) =>
      broker.request(CheckContacts, { userId: user.id, connectionId: params.id, phones: [query.phone] }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/contacts/check',
    auth: true,
    tag,
    summary: 'Which of these phone numbers (at most 50) are on WhatsApp, in the order given',
    description,
    params: idParams,
    body: CheckContactsBody,
    bodyLimit: '64kb',
    status: 200,
    response: z.array(ContactCheck),
    errors: [403, 404, 409, 503],
    handler: ({ broker, user, params, body }) =>
      broker.request(CheckContacts, { userId: user.id, connectionId: params.id, phones: body.phones }),
  }),
];
