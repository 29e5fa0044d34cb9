export type Dialect = 'sqlite' | 'postgresql';

/** DATABASE_URL outside production when it is not set: `file:./.data/dev.db`. */
export const DEFAULT_DEV_DATABASE_URL: string;

/** What follows `DATABASE_URL ` in the error for a URL that names neither database. */
export const UNKNOWN_DIALECT_PROBLEM: string;

/** `sqlite` for `file:` URLs, `postgresql` for `postgres(ql)://` URLs, undefined otherwise. */
export function databaseDialect(url: string): Dialect | undefined;

/** The absolute path of the file a `file:` URL names; relative paths resolve against `cwd` (default `process.cwd()`). */
export function sqliteFilePath(url: string, cwd?: string): string;

/** pg connection options for a PostgreSQL URL, with Prisma's `?schema=` split out (default `public`). */
export function postgresOptions(url: string): { connectionString: string; schema: string };

/** `sqlite` for `file:` URLs, `postgresql` for `postgres(ql)://` URLs; throws otherwise. */
export function dialectOf(url: string): Dialect;

/** How long the app waits on its database before answering 503 (see database-url.mjs). */
export const DATABASE_TIMEOUTS: Readonly<{
  connectMs: number;
  statementMs: number;
  queryMs: number;
  transactionWaitMs: number;
  transactionMs: number;
  sqliteBusyMs: number;
}>;

/** Every request is answered within this many milliseconds while the database is unavailable. */
export const ANSWER_BOUND_MS: number;
