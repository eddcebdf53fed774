/**
 * Whether Postgres refused a value the caller sent rather than failing itself: such errors become a 400 for
 * the caller instead of a 500. Request schemas should catch these first; this is the net under them.
 */
// SQLSTATE 22021 = character_not_in_repertoire (e.g. a NUL byte in text, invalid UTF-8);
// 22P05 = untranslatable_character (no equivalent in the database encoding).
const BAD_INPUT_CODES = new Set(['22021', '22P05']);

export function isBadInputForDatabase(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.driverError && e.driverError !== err && isBadInputForDatabase(e.driverError)) return true;
  return typeof e.code === 'string' && BAD_INPUT_CODES.has(e.code);
}
