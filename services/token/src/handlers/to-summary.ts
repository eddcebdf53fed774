import type { z } from 'zod';
import type { TokenSummary } from '@wahooks/contracts';
import type { TokenRow } from '../adapters/tokens-repo.js';

export const toSummary = (row: TokenRow): z.input<typeof TokenSummary> => ({
  id: row.id,
  name: row.name,
  tokenPrefix: row.tokenPrefix,
  active: row.active,
  lastUsedAt: row.lastUsedAt ? row.lastUsedAt.toISOString() : null,
  createdAt: row.createdAt.toISOString(),
});
