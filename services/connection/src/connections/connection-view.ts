import type { ConnectionView } from '@wahooks/contracts';
import type { ConnectionRow } from './connections-repo.js';

/** The API shape: internal `working` is `connected` everywhere. */
export function toConnectionView(row: ConnectionRow): ConnectionView {
  return {
    id: row.id,
    userId: row.user_id,
    workerId: row.owner,
    name: row.name,
    sessionName: row.session_name,
    phoneNumber: row.phone_number,
    status: row.status === 'working' ? 'connected' : row.status,
    engine: row.engine,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
