import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '@/lib/config';
import { createDb, getDb, isUniqueConstraintError, isForeignKeyError } from '@/lib/db/client';
import { dialectOf, postgresOptions, sqliteFilePath } from '@/lib/db/database-url.mjs';
import { clearTables, createTestDatabase, DIALECTS, TEST_DATABASE_URL, withSchema, type TestDatabase } from '@/test/helpers/db';

describe('DATABASE_URL parsing', () => {
  it.each([
    ['file:./.data/dev.db', '/app/.data/dev.db'],
    ['file:.data/dev.db', '/app/.data/dev.db'],
    ['file:/var/lib/app.db', '/var/lib/app.db'],
    ['file:///var/lib/app.db', '/var/lib/app.db'],
    ['file:./dev.db?connection_limit=1', '/app/dev.db'],
  ])('SQLite %s is the file %s (relative to the working directory)', (url, file) => {
    expect(sqliteFilePath(url, '/app')).toBe(file);
  });

  it('splits Prisma’s ?schema= out of a PostgreSQL URL and keeps the other parameters', () => {
    expect(postgresOptions('postgresql://u:p@db:5432/app?schema=tenant_a&sslmode=require')).toEqual({
      connectionString: 'postgresql://u:p@db:5432/app?sslmode=require',
      schema: 'tenant_a',
    });
    expect(postgresOptions('postgres://u@db/app').schema).toBe('public');
  });

  it('does not echo a malformed URL, which may hold a password', () => {
    expect(() => postgresOptions('postgresql://u:s3cret@[bad')).toThrow(/^(?!.*s3cret)/);
  });

  it('tells the dialect by scheme, as lib/config.ts does', () => {
    expect(dialectOf('file:x.db')).toBe('sqlite');
    expect(dialectOf('postgres://h/db')).toBe('postgresql');
    expect(dialectOf('postgresql://h/db')).toBe('postgresql');
    expect(() => dialectOf('mysql://h/db')).toThrow(/DATABASE_URL/);
  });
});

describe.each(DIALECTS)('createDb [%s]', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect, 'client');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('reads and writes every model through one client type', async () => {
    const db = database.db;
    await clearTables(db);
    await db.tenant.create({
      data: {
        clientKey: 'c1',
        site: { create: { id: 'c1' } },
        key: 'k',
        baseUrl: 'https://x.atlassian.net',
        productType: 'jira',
        description: 'd',
        sharedSecret: 'sealed',
        state: 'installed',
        installedAt: new Date(),
      },
    });
    const note = await db.note.create({ data: { siteId: 'c1', issueKey: 'X-1', authorAccountId: 'a', text: 'hi' } });
    expect(note.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(note.createdAt).toBeInstanceOf(Date);
    await db.webhookDelivery.create({ data: { siteId: 'c1', webhookId: 'w1', event: 'jira:issue_updated' } });
    const again = db.webhookDelivery.create({ data: { siteId: 'c1', webhookId: 'w1', event: 'jira:issue_updated' } });
    expect(isUniqueConstraintError(await again.catch((e: unknown) => e))).toBe(true);
    // A site that holds data cannot be deleted (RESTRICT): its rows are moved or deleted deliberately first,
    // never swept away with it (lib/sites/store.ts, merging sites).
    await db.tenant.delete({ where: { clientKey: 'c1' } });
    await expect(db.site.delete({ where: { id: 'c1' } })).rejects.toSatisfy(isForeignKeyError);
    expect(await db.note.count()).toBe(1);
    expect(await db.webhookDelivery.count()).toBe(1);
  });

  it('supports interactive transactions', async () => {
    const db = database.db;
    await clearTables(db);
    await expect(
      db.$transaction(async (tx) => {
        await tx.tenant.create({
          data: { clientKey: 'tx', site: { create: { id: 'tx' } }, key: 'k', baseUrl: 'https://x', productType: 'jira', description: '', sharedSecret: 's', state: 'installed', installedAt: new Date() },
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.tenant.count()).toBe(0);
  });
});

describe('createDb on SQLite', () => {
  it('opens every connection in WAL mode with synchronous = NORMAL (SQLITE_PRAGMAS)', async () => {
    const database = await createTestDatabase('sqlite', 'pragmas');
    const db = database.db;
    try {
      const [{ journal_mode }] = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
      const [{ synchronous }] = await db.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous');
      expect(journal_mode).toBe('wal');
      // 0 OFF, 1 NORMAL, 2 FULL (SQLite's default), 3 EXTRA.
      expect(Number(synchronous)).toBe(1);
    } finally {
      await database.dispose();
    }
  });
});

describe('createDb on PostgreSQL', () => {
  it('keeps Prisma queries and raw SQL inside the ?schema= of the URL', async () => {
    const a = await createTestDatabase('postgresql', 'schema_a');
    const b = await createTestDatabase('postgresql', 'schema_b');
    try {
      await a.db.note.deleteMany();
      await a.db.tenant.create({
        data: { clientKey: 'only-in-a', site: { create: { id: 'only-in-a' } }, key: 'k', baseUrl: 'https://x', productType: 'jira', description: '', sharedSecret: 's', state: 'installed', installedAt: new Date() },
      });
      expect(await a.db.tenant.count()).toBe(1);
      expect(await b.db.tenant.count()).toBe(0);
      const [{ schema }] = await a.db.$queryRawUnsafe<{ schema: string }[]>('SELECT current_schema() AS schema');
      expect(a.url).toBe(withSchema(TEST_DATABASE_URL, schema));
      expect(await a.db.$queryRawUnsafe('SELECT "clientKey" FROM "Tenant"')).toEqual([{ clientKey: 'only-in-a' }]);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

describe('getDb', () => {
  it('returns one client per process for the configured database', () => {
    expect(getConfig().databaseUrl).toBeTruthy();
    expect(getDb()).toBe(getDb());
  });

  it('creates a client only when a query runs, so importing it costs no connection', () => {
    expect(() => createDb('postgresql://nobody@127.0.0.1:1/none')).not.toThrow();
  });
});
