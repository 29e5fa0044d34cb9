/**
 * The database client: one Prisma client per process, for the database `DATABASE_URL` names.
 *
 * Prisma generates a client per SQL dialect (lib/db/generated/{sqlite,postgres}, from prisma/models.prisma by
 * `npm run db:generate`) and each talks to its database through a driver adapter: better-sqlite3 for
 * `file:` URLs, pg for `postgresql://` URLs. Both clients are generated from the same models and have the same
 * API, so callers see one type, `Db`, and do not know which database they use.
 */
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import { getConfig } from '../config';
import { DATABASE_TIMEOUTS, dialectOf, postgresOptions, sqliteFilePath, type Dialect } from './database-url.mjs';
import { cachePreparedStatements, type SqliteConnection } from './statement-cache';
import { PrismaClient as PostgresClient } from './generated/postgres/client';
import { PrismaClient as SqliteClient, type Prisma } from './generated/sqlite/client';

/**
 * The Prisma client type callers use. It is the SQLite client's type because its API is the common subset:
 * the PostgreSQL client accepts everything it does (plus a few PostgreSQL-only options, like
 * `mode: 'insensitive'`, that portable code must not use anyway).
 */
export type Db = SqliteClient;

/**
 * A new client for `databaseUrl`. Relative SQLite paths resolve against the working directory; a PostgreSQL
 * `?schema=` parameter selects the schema. Prefer `getDb()`; this is for tests and scripts that need their
 * own database. Call `$disconnect()` when done.
 *
 * @example const db = createDb('file:/tmp/test.db'); await db.tenant.count(); await db.$disconnect();
 */
export function createDb(databaseUrl: string): Db {
  // Bounded waits everywhere (DATABASE_TIMEOUTS): an unreachable or silent database becomes a fast 503.
  const transactionOptions = { maxWait: DATABASE_TIMEOUTS.transactionWaitMs, timeout: DATABASE_TIMEOUTS.transactionMs };
  if (dialectOf(databaseUrl) === 'sqlite') {
    const adapter = sqliteConnections(new PrismaBetterSqlite3({ url: sqliteFilePath(databaseUrl), timeout: DATABASE_TIMEOUTS.sqliteBusyMs }), SQLITE_PRAGMAS);
    return registered(new SqliteClient({ adapter, transactionOptions }), 'sqlite');
  }
  const { connectionString, schema } = postgresOptions(databaseUrl);
  const client = new PostgresClient({ adapter: new PrismaPg(poolConfig(connectionString, schema), { schema }), transactionOptions });
  // Same models, same generator, different provider: the query API is the same. TypeScript cannot see that
  // through Prisma's provider-specific internal types, hence the cast; test/db/client.test.ts exercises both.
  return registered(client as unknown as Db, 'postgresql');
}

/**
 * Run on every SQLite connection the app opens (docs/performance.md has the measurements):
 * - `journal_mode = WAL`: readers no longer wait for a writer nor block it, across processes too (several
 *   `next start` on one file); a commit appends to the log instead of rewriting pages. Stored in the file.
 * - `synchronous = NORMAL`: in WAL mode, a commit no longer waits for an fsync; the log is synced at each
 *   checkpoint. The trade-off: a power cut or an OS crash (not an app crash: the log is in the OS's hands by
 *   then) may lose the last transactions committed before it, never corrupt the file. For the SQLite the
 *   template uses in development, tests and single-machine setups; production runs PostgreSQL.
 */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL'] as const;

/**
 * `factory`, whose connections run `PRAGMA <p>` for each of `pragmas` before their first query and keep
 * their prepared statements (./statement-cache.ts). The adapter keeps its better-sqlite3 handle in `client`,
 * which its types do not show; test/db/statement-cache.test.ts fails if an upgrade moves it.
 */
function sqliteConnections(factory: PrismaBetterSqlite3, pragmas: readonly string[]): PrismaBetterSqlite3 {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const connection = await connect();
    await connection.executeScript(pragmas.map((p) => `PRAGMA ${p};`).join('\n'));
    const { client } = connection as unknown as { client?: SqliteConnection };
    if (typeof client?.prepare === 'function') cachePreparedStatements(client);
    return connection;
  };
  return factory;
}

/** A client inside an interactive transaction (`db.$transaction(async (tx) => ...)`). */
export type Tx = Prisma.TransactionClient;

/**
 * A query not yet sent (Prisma sends it when it is awaited): awaited in turn inside an interactive
 * transaction, or given in a list to a batch transaction (`db.$transaction([a, b])`).
 */
export type Statement<T = unknown> = Prisma.PrismaPromise<T>;

// On globalThis, like the client itself below: a module reloaded in development (or reset in tests) must
// still know the dialect of a client made before.
const globalForDialects = globalThis as typeof globalThis & { __connectNextDialects?: WeakMap<Db, Dialect> };
const dialects = (globalForDialects.__connectNextDialects ??= new WeakMap());

function registered(db: Db, dialect: Dialect): Db {
  dialects.set(db, dialect);
  return db;
}

/**
 * The SQL dialect of a client made by `createDb`, for the few statements portable Prisma cannot express
 * (PostgreSQL advisory locks).
 */
export function dialectOfDb(db: Db): Dialect {
  const dialect = dialects.get(db);
  if (!dialect) throw new Error('This database client was not made by createDb().');
  return dialect;
}

/**
 * Prisma's queries name the schema themselves; `search_path` makes raw SQL (`$queryRaw`) land in the same
 * schema, as it did with Prisma's native engine. Left alone for `public`, because connection poolers such as
 * PgBouncer refuse the `options` startup parameter.
 */
function poolConfig(connectionString: string, schema: string): PoolConfig {
  const bounds: PoolConfig = {
    connectionString,
    connectionTimeoutMillis: DATABASE_TIMEOUTS.connectMs,
    statement_timeout: DATABASE_TIMEOUTS.statementMs,
    query_timeout: DATABASE_TIMEOUTS.queryMs,
    // A dead peer on an idle pooled connection is noticed by the kernel, not only by the next query.
    keepAlive: true,
  };
  if (schema === 'public') return bounds;
  if (/[\s"\\]/.test(schema)) throw new Error('The ?schema= of DATABASE_URL must not contain spaces, quotes or backslashes.');
  return { ...bounds, options: `-c search_path="${schema}"` };
}

// In development, Next.js re-evaluates modules on every change; keeping the client on globalThis stops each
// reload from opening another connection pool (or SQLite handle).
const globalForDb = globalThis as typeof globalThis & { __connectNextDb?: { url: string; db: Db } };

/**
 * The process's client for `getConfig().databaseUrl`, created on first use.
 *
 * @example const tenants = await getDb().tenant.count();
 */
export function getDb(): Db {
  const url = getConfig().databaseUrl;
  const cached = globalForDb.__connectNextDb;
  if (cached && cached.url === url) return cached.db;
  const db = createDb(url);
  globalForDb.__connectNextDb = { url, db };
  return db;
}

/** Row types, as Prisma returns them (same for both dialects). */
export type { Note as NoteRow, Tenant as TenantRow, WebhookDelivery as WebhookDeliveryRow } from './generated/sqlite/client';

export { isDatabaseUnavailable, isForeignKeyError, isUniqueConstraintError } from './errors';
