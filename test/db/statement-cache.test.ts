import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cachePreparedStatements, STATEMENT_CACHE_SIZE, type SqliteConnection, type Statement } from '@/lib/db/statement-cache';
import { createNotesStore } from '@/lib/notes/store';
import { createTestDatabase } from '@/test/helpers/db';

// better-sqlite3 has no types; the parts used here are the ones lib/db/statement-cache.ts declares.
const Database = createRequire(import.meta.url)('better-sqlite3') as {
  new (file: string): SqliteConnection & { exec(sql: string): void; close(): void; defaultSafeIntegers(on: boolean): void };
  prototype: { prepare(sql: string): Statement };
};

describe('cachePreparedStatements (a real SQLite file, schema-independent SQL)', () => {
  let dir: string;
  let db: InstanceType<typeof Database>;
  let prepared: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'statement-cache-'));
    db = new Database(path.join(dir, 'test.db'));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    // Counts what reaches SQLite's own prepare.
    const original = db.prepare.bind(db);
    prepared = vi.fn(original);
    db.prepare = prepared as unknown as SqliteConnection['prepare'];
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepares a SQL text once and binds each use’s own parameters', () => {
    cachePreparedStatements(db);
    db.prepare('INSERT INTO t (id, name) VALUES (?, ?)').bind([1, 'a']).run();
    db.prepare('INSERT INTO t (id, name) VALUES (?, ?)').bind([2, 'b']).run();
    const select = 'SELECT id, name FROM t WHERE id >= ? ORDER BY id';
    expect(db.prepare(select).bind([1]).raw().all()).toEqual([[1, 'a'], [2, 'b']]);
    expect(db.prepare(select).bind([2]).raw().all()).toEqual([[2, 'b']]);
    // Raw mode belongs to one use: the next use without raw() gets objects again.
    expect(db.prepare(select).bind([2]).all()).toEqual([{ id: 2, name: 'b' }]);
    expect(db.prepare(select).bind([2]).get()).toEqual({ id: 2, name: 'b' });
    expect(prepared).toHaveBeenCalledTimes(2);
  });

  it('answers reader and columns as the statement does, and runs a statement without parameters', () => {
    cachePreparedStatements(db);
    const select = db.prepare('SELECT id, name FROM t').bind([]);
    expect(select.reader).toBe(true);
    expect(select.columns().map((c) => [c.name, c.type])).toEqual([['id', 'INTEGER'], ['name', 'TEXT']]);
    expect(db.prepare('DELETE FROM t').reader).toBe(false);
    db.prepare('BEGIN').run();
    db.prepare('INSERT INTO t (id, name) VALUES (?, ?)').bind([3, 'c']).run();
    db.prepare('ROLLBACK').run();
    expect(db.prepare('SELECT count(*) AS n FROM t').bind([]).get()).toEqual({ n: 0 });
  });

  it('keeps at most `max` statements, dropping the least recently used (2 kept at max 2; a third evicts)', () => {
    const cache = cachePreparedStatements(db, 2);
    const a = 'SELECT 1';
    const b = 'SELECT 2';
    const c = 'SELECT 3';
    db.prepare(a);
    db.prepare(b);
    db.prepare(a); // a is now the most recently used
    expect(cache.size).toBe(2);
    expect(prepared).toHaveBeenCalledTimes(2);
    db.prepare(c); // evicts b
    expect(cache.size).toBe(2);
    db.prepare(a);
    expect(prepared).toHaveBeenCalledTimes(3);
    db.prepare(b);
    expect(prepared).toHaveBeenCalledTimes(4);
    expect(STATEMENT_CACHE_SIZE).toBe(200);
  });

  it('does not cache SQL that fails to prepare, and the error is SQLite’s', () => {
    const cache = cachePreparedStatements(db);
    expect(() => db.prepare('SELECT nope FROM t')).toThrow(/no such column/);
    expect(cache.size).toBe(0);
  });

  it('follows a schema change: a cached statement sees the new column and a dropped table fails', () => {
    cachePreparedStatements(db);
    db.prepare('INSERT INTO t (id, name) VALUES (?, ?)').bind([1, 'a']).run();
    expect(db.prepare('SELECT * FROM t').bind([]).all()).toEqual([{ id: 1, name: 'a' }]);
    db.exec("ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'x'");
    expect(db.prepare('SELECT * FROM t').bind([]).all()).toEqual([{ id: 1, name: 'a', note: 'x' }]);
    db.exec('DROP TABLE t');
    expect(() => db.prepare('SELECT * FROM t').bind([]).all()).toThrow(/no such table/);
  });
});

describe('createDb on SQLite keeps prepared statements under Prisma', () => {
  it('prepares a repeated query once, and its results follow each call’s parameters', async () => {
    // Every prepare that reaches better-sqlite3 goes through its prototype; the cache calls it only on a miss.
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    const database = await createTestDatabase('sqlite', 'statement-cache');
    try {
      const notes = createNotesStore(database.db);
      await database.db.site.create({ data: { id: 's1' } });
      await notes.create('s1', { issueKey: 'A-1', projectKey: 'A', authorAccountId: 'u', text: 'one' });
      await notes.create('s1', { issueKey: 'A-2', projectKey: 'A', authorAccountId: 'u', text: 'two' });
      expect((await notes.listForIssue('s1', 'A-1')).map((n) => n.text)).toEqual(['one']);
      const before = prepare.mock.calls.length;
      expect((await notes.listForIssue('s1', 'A-2')).map((n) => n.text)).toEqual(['two']);
      expect((await notes.listForIssue('s1', 'A-1')).map((n) => n.text)).toEqual(['one']);
      expect(prepare.mock.calls.length).toBe(before);
      // Dates come back as dates, as without the cache.
      expect((await notes.listForIssue('s1', 'A-1'))[0].createdAt).toBeInstanceOf(Date);
    } finally {
      prepare.mockRestore();
      await database.dispose();
    }
  });
});
