/**
 * Prepared statements kept across queries on a better-sqlite3 connection. Prisma's better-sqlite3 adapter
 * calls `db.prepare(sql)` for every query it runs, and SQLite parses and plans the SQL each time: under load
 * that was about 45 µs of a 1 ms notes API request (docs/performance.md). Prisma's queries are
 * parameterised (`?`), so the same few SQL texts come back on every request and one prepared statement per
 * text serves them all.
 *
 * The cache sits under the adapter, on the connection's `prepare`, and keys by SQL text, so it knows nothing
 * of the schema; it is bounded (least recently used statements dropped), since SQL texts are not a closed
 * set (an `IN (?, ?, …)` list has one text per length). A statement stays valid across schema changes:
 * SQLite prepares it again by itself when the schema it was planned against changed.
 */
import { LruCache } from '../cache';

/** The part of a better-sqlite3 `Database` this needs (better-sqlite3 ships no types). */
export interface SqliteConnection {
  prepare(sql: string): Statement;
}

/** The part of a better-sqlite3 `Statement` Prisma's adapter uses. */
export interface Statement {
  readonly reader: boolean;
  bind(...args: unknown[]): Statement;
  columns(): { name: string; type: string | null }[];
  raw(toggle?: boolean): Statement;
  all(...args: unknown[]): unknown[];
  get(...args: unknown[]): unknown;
  run(...args: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** How many SQL texts keep a prepared statement, per connection. The app's Prisma queries have a few dozen. */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * Makes `db.prepare(sql)` answer from a cache of `max` prepared statements. What it returns is a view of the
 * cached statement that takes its parameters per call (`bind(args)` on a better-sqlite3 statement binds it
 * for good, so the cached one is never bound): `bind`, `reader`, `columns`, `raw`, `all`, `get`, `run`,
 * which is what Prisma's adapter calls (test/db/statement-cache.test.ts holds the adapter to that).
 * Returns the cache, for its `size`.
 *
 * @example cachePreparedStatements(new Database('app.db')).size // 0, then one per distinct SQL text run
 */
export function cachePreparedStatements(db: SqliteConnection, max = STATEMENT_CACHE_SIZE): LruCache<Statement> {
  const statements = new LruCache<Statement>({ max, ttlMs: Infinity });
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = prepare(sql);
      statements.set(sql, statement);
    }
    return new ReusedStatement(statement);
  };
  return statements;
}

/**
 * One use of a cached statement: its parameters and its raw mode live here, and are applied to the shared
 * statement at the moment it runs. better-sqlite3 runs a statement to completion synchronously, so two uses
 * never interleave.
 */
class ReusedStatement implements Statement {
  #raw = false;

  constructor(
    private readonly statement: Statement,
    private readonly args: unknown[] = [],
  ) {}

  bind(args: unknown[]): ReusedStatement {
    return new ReusedStatement(this.statement, args);
  }

  get reader(): boolean {
    return this.statement.reader;
  }

  columns(): { name: string; type: string | null }[] {
    return this.statement.columns();
  }

  raw(toggle = true): this {
    this.#raw = toggle;
    return this;
  }

  all(): unknown[] {
    return this.#reader().all(this.args);
  }

  get(): unknown {
    return this.#reader().get(this.args);
  }

  run(): { changes: number; lastInsertRowid: number | bigint } {
    return this.statement.run(this.args);
  }

  #reader(): Statement {
    // raw() throws on a statement that returns no data; only a reader's mode matters.
    return this.statement.reader ? this.statement.raw(this.#raw) : this.statement;
  }
}
