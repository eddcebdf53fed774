/**
 * The operator allow-list for outbound requests: hosts (exact names or IP literals) that may be reached although
 * they resolve to private addresses. One variable for every outbound fetch, `OUTBOUND_ALLOWED_HOSTS`; a
 * service may accept older names beside it (webhook-delivery: `WEBHOOK_ALLOWED_HOSTS`), and the lists are joined.
 */

/** Comma-separated lists (unset or blank ones skipped) → one deduplicated list of trimmed hosts. */
export function parseHostList(...lists: (string | undefined)[]): string[] {
  const hosts = lists.flatMap((list) => (list ?? '').split(',')).map((h) => h.trim());
  return [...new Set(hosts.filter(Boolean))];
}
