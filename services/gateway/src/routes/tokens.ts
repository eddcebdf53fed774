/** API tokens (docs/api.md): list, create (raw token shown once), revoke. */
import { z } from 'zod';
import { CreatedToken, CreateToken, CreateTokenBody, ListTokens, RevokeToken, TokenSummary } from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

export const tokenRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/tokens',
    auth: true,
    summary: "List the caller's active API tokens",
    response: z.array(TokenSummary),
    handler: ({ broker, user }) => broker.request(ListTokens, { userId: user.id }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/tokens',
    auth: true,
    summary: 'Create an API token; the raw `wh_` token is in this response only',
    body: CreateTokenBody,
    response: CreatedToken,
    handler: ({ broker, user, body }) => broker.request(CreateToken, { userId: user.id, name: body.name }),
  }),
  defineRoute({
    method: 'delete',
    path: '/api/tokens/:id',
    auth: true,
    summary: 'Revoke an API token (it stops working at once, on every gateway)',
    params: z.object({ id: z.string().meta({ description: 'The token id' }) }),
    response: z.object({ success: z.literal(true) }),
    errors: [403, 404],
    handler: ({ broker, user, params }) => broker.request(RevokeToken, { userId: user.id, tokenId: params.id }),
  }),
];
