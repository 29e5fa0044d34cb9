/**
 * The one place that classifies database errors. Prisma (its query engine and the transaction manager), the
 * driver adapters and the drivers below them (pg, better-sqlite3) each report a failure their own way; the
 * rest of the app asks three questions only: "was that a unique-key violation?", "is the database
 * unavailable?" and "did the transaction lose to a concurrent one?" (the last two are answered 503 with
 * Retry-After by lib/http/responses.ts, DATABASE_UNAVAILABLE and DATABASE_CONFLICT, never 500).
 */

/**
 * True for a unique-constraint violation, e.g. inserting a `WebhookDelivery` that was already recorded: Prisma's
 * P2002 from a model query, or a raw statement's P2010 whose adapter error is a `UniqueConstraintViolation`
 * (both generated clients throw the same runtime error classes).
 */
export function isUniqueConstraintError(err: unknown): boolean {
  return codeOf(err) === 'P2002' || rawStatementErrorKind(err) === 'UniqueConstraintViolation';
}

/**
 * True for a foreign-key violation (Prisma P2003; the adapter's `ForeignKeyConstraintViolation`; PostgreSQL
 * 23503; SQLite's SQLITE_CONSTRAINT_FOREIGNKEY). Every foreign key of the app points at a Site, so here it means
 * the site the request resolved was merged into another meanwhile (lib/sites/store.ts): a retry resolves anew.
 *
 * @example if (isForeignKeyError(err)) return 503; // SITE_MOVED
 */
export function isForeignKeyError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e);
    if (code === 'P2003' || code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return true;
    if ((e as { kind?: unknown }).kind === 'ForeignKeyConstraintViolation') return true;
    if (rawStatementErrorKind(e) === 'ForeignKeyConstraintViolation') return true;
  }
  return false;
}

/**
 * Prisma error codes that mean "the database could not be reached or did not answer in time", not "the query
 * was wrong": P1001 not reachable, P1002 timed out, P1008 operation timed out (also a busy SQLite file),
 * P1017 connection closed, P2024 no connection from the pool in time, P2028 transaction could not start or
 * expired (the transaction manager's maxWait/timeout), P2037 too many connections, P1037/P1040 connection
 * limits. https://www.prisma.io/docs/orm/reference/error-reference
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);

/** Driver adapter error kinds (Prisma 7 driver adapters) with the same meaning. */
const ADAPTER_UNAVAILABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);

/** Node socket errors: the server is down, the link was cut or a firewall dropped it. */
const SOCKET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 53300 too many connections, 57014 query canceled
 * (our statement_timeout), 57P01..57P03 server shutting down or starting, 55P03 lock not available
 * (lock_timeout). https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const SQLSTATE_UNAVAILABLE = /^(08...|53300|57014|57P0[1-3]|55P03)$/;

/** pg and pg-pool report their own timeouts and a lost connection without a code, only with these messages. */
const PG_UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error and is not queryable|Connection terminated unexpectedly)/;

/** better-sqlite3: SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) once the busy timeout ran out. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED)/;

/**
 * True when `err` (from Prisma, an adapter or a driver, possibly wrapped as `cause`) means the database is
 * down, unreachable, silent past our timeouts, or locked past SQLite's busy timeout: something a retry may
 * fix and the caller cannot.
 *
 * @example if (isDatabaseUnavailable(err)) return 503;
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e);
    const kind = (e as { kind?: unknown }).kind;
    const message = String((e as { message?: unknown }).message ?? '');
    if (code && (PRISMA_UNAVAILABLE.has(code) || SOCKET_UNAVAILABLE.has(code) || SQLSTATE_UNAVAILABLE.test(code) || SQLITE_UNAVAILABLE.test(code))) return true;
    if (typeof kind === 'string' && ADAPTER_UNAVAILABLE.has(kind)) return true;
    if (kind === 'postgres' && SQLSTATE_UNAVAILABLE.test(String((e as { code?: unknown }).code ?? ''))) return true;
    if (PG_UNAVAILABLE_MESSAGE.test(message)) return true;
    // Prisma wraps what an adapter threw (DriverAdapterError) as `cause` of a known request error, and some
    // adapter errors in a plain object at `meta.driverAdapterError`.
    const meta = (e as { meta?: { driverAdapterError?: unknown } }).meta;
    if (meta?.driverAdapterError && isDatabaseUnavailable(meta.driverAdapterError)) return true;
  }
  return false;
}

/**
 * PostgreSQL SQLSTATEs of a transaction that lost to a concurrent one and was rolled back: 40001
 * serialization_failure (under REPEATABLE READ / SERIALIZABLE, or a database that is always serializable)
 * and 40P01 deadlock_detected (e.g. a site merge and an event's transaction locking the same rows in
 * opposite orders). Nothing was written; the same request sent again may well succeed.
 */
const SQLSTATE_CONFLICT = /^(40001|40P01)$/;

/**
 * True when `err` (from Prisma, an adapter or a driver, possibly wrapped) is a deadlock or a serialization
 * failure. Prisma reports both as P2034 (its driver adapters: kind `TransactionWriteConflict`), a raw query
 * as P2010 with the adapter error attached, pg as the SQLSTATE itself.
 *
 * @example if (isTransactionConflict(err)) return 503; // the caller retries
 */
export function isTransactionConflict(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e);
    const kind = (e as { kind?: unknown }).kind;
    // `code` is Prisma's, or the SQLSTATE itself (pg, and an adapter error of kind `postgres`).
    if (code === 'P2034' || (code && SQLSTATE_CONFLICT.test(code))) return true;
    if (kind === 'TransactionWriteConflict') return true;
    const meta = (e as { meta?: { driverAdapterError?: unknown } }).meta;
    if (meta?.driverAdapterError && isTransactionConflict(meta.driverAdapterError)) return true;
  }
  return false;
}

/** The driver adapter's error kind of a failed raw statement (Prisma P2010: `meta.driverAdapterError.cause.kind`). */
function rawStatementErrorKind(err: unknown): unknown {
  if (codeOf(err) !== 'P2010') return undefined;
  return (err as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } }).meta?.driverAdapterError?.cause?.kind;
}

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
