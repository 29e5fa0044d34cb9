// How a DATABASE_URL becomes driver options. Plain JavaScript so the migration scripts (scripts/db/*.mjs),
// which run before any build, share it with the app (lib/db/client.ts). Types: database-url.d.mts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * DATABASE_URL outside production when it is not set: a SQLite file under .data/, relative to the project
 * root. In production DATABASE_URL is required (lib/config.ts, scripts/db/migrate.mjs).
 */
export const DEFAULT_DEV_DATABASE_URL = 'file:./.data/dev.db';

/**
 * How long the app waits on its database before it answers 503 DATABASE_UNAVAILABLE (lib/db/errors.ts,
 * lib/http/responses.ts) instead of hanging until the platform kills the function. docs/reliability.md has
 * the measured bounds per fault.
 *
 * - `connectMs`: opening a PostgreSQL connection (TCP, TLS, authentication), and also waiting for a free
 *   connection of the pool (pg-pool uses one setting for both).
 * - `statementMs`: PostgreSQL's `statement_timeout`: the server cancels a statement running longer (57014),
 *   which also bounds waiting for a lock (the tenant store's advisory locks).
 * - `queryMs`: the client gives up on a statement whose answer does not come (a silent link, where the
 *   server-side timeout cannot help); a little above `statementMs`, so a live server reports first.
 * - `transactionWaitMs` / `transactionMs`: Prisma's interactive transactions: starting one (a connection and
 *   BEGIN) and running one to its end.
 * - `sqliteBusyMs`: SQLite's busy timeout, how long a write waits for another process's write lock.
 *   better-sqlite3 waits synchronously, blocking the process, hence much shorter than its 5 s default.
 *
 * Migrations (scripts/db/migrate.mjs) use only `connectMs`: a migration may rightly run for minutes.
 */
export const DATABASE_TIMEOUTS = Object.freeze({
  connectMs: 3_000,
  statementMs: 4_000,
  queryMs: 5_000,
  transactionWaitMs: 3_000,
  transactionMs: 8_000,
  sqliteBusyMs: 1_000,
});

/**
 * The bound the app promises: while its database refuses, drops or silences connections, every request is
 * answered (503 DATABASE_UNAVAILABLE) within this many milliseconds. A request fails at its first database
 * call that cannot complete: at once for a refused or cut link, after `connectMs` or `transactionWaitMs`
 * (3 s) or `queryMs` (5 s) for a silent one. The worst case is a link that goes silent inside a
 * transaction: its statement (5 s), then its ROLLBACK (5 s). test/reliability/database-outage.test.ts
 * proves the bound for every route; docs/reliability.md has the measured figures.
 */
export const ANSWER_BOUND_MS = 12_000;

/**
 * The file a `file:` URL names, absolute. Relative paths are resolved against `cwd` (the project root
 * for `npm run dev`, tests and builds), never against a schema file. A query string (`?connection_limit=1`,
 * accepted by Prisma) is ignored.
 *
 * @example sqliteFilePath('file:./.data/dev.db', '/app') // '/app/.data/dev.db'
 */
export function sqliteFilePath(url, cwd = process.cwd()) {
  if (!url.startsWith('file:')) throw new Error('A SQLite DATABASE_URL starts with file:');
  const withoutQuery = url.split('?')[0];
  const file = withoutQuery.startsWith('file://') ? fileURLToPath(withoutQuery) : withoutQuery.slice('file:'.length);
  if (!file) throw new Error('A SQLite DATABASE_URL names a file, e.g. file:./.data/dev.db');
  return path.resolve(cwd, file);
}

/**
 * Connection options for a `postgres://` or `postgresql://` URL. Prisma's `?schema=` parameter is taken out
 * of the connection string (the pg driver does not know it) and returned as `schema`, default `public`.
 *
 * @example postgresOptions('postgresql://u@db/app?schema=tenant1') // { connectionString: 'postgresql://u@db/app', schema: 'tenant1' }
 */
export function postgresOptions(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the URL: it usually carries a password.
    throw new Error('DATABASE_URL is not a valid PostgreSQL URL.');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error('A PostgreSQL DATABASE_URL starts with postgres:// or postgresql://');
  }
  const schema = parsed.searchParams.get('schema') || 'public';
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/**
 * Which database a URL names: `sqlite` for `file:` URLs, `postgresql` for `postgres://` and `postgresql://`
 * URLs, undefined for anything else. The one place the app, the scripts and prisma.config.ts decide it.
 *
 * @example databaseDialect('postgres://u@db/app') // 'postgresql'
 */
export function databaseDialect(url) {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  return undefined;
}

/** The message for a DATABASE_URL that names neither database; lib/config.ts reports it by variable name. */
export const UNKNOWN_DIALECT_PROBLEM = 'must start with file: (SQLite) or postgresql:// (PostgreSQL).';

/** {@link databaseDialect}, throwing for a URL that names neither database. */
export function dialectOf(url) {
  const dialect = databaseDialect(url);
  if (!dialect) throw new Error(`DATABASE_URL ${UNKNOWN_DIALECT_PROBLEM}`);
  return dialect;
}
