/** GET /api/me (docs/api.md). */
import { GetMe, UserProfile } from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

export const accountRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/me',
    auth: true,
    summary: 'The authenticated user: {id, email, name, isAdmin}',
    tag: 'account',
    response: UserProfile,
    handler: ({ broker, user }) => broker.request(GetMe, { userId: user.id }),
  }),
];
