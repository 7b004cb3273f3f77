// Which errors mean "the store cannot take writes right now" (disk full, read-only file system, the
// database server gone) rather than a bug: those are answered storage_unavailable (503, retry later),
// reported by /readyz, and recovered from without a restart once the store is back.
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|NOLFS|PROTOCOL)/;
/** PostgreSQL classes: 08 connection exception, 53 insufficient resources (disk full), 57P operator intervention. */
const PG_UNAVAILABLE = /^(08|53|57P)/;
const PG_READ_ONLY = '25006';
const NET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
const PG_CLIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i;

export function isStorageFailure(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SQLITE_UNAVAILABLE.test(code) || NET.has(code) || code === PG_READ_ONLY) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && PG_UNAVAILABLE.test(code)) return true;
  }
  const message = (e as { message?: unknown }).message;
  return typeof message === 'string' && PG_CLIENT_MESSAGES.test(message);
}
