import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createDb, type Db } from '@/lib/db/client';
import { databaseDialect } from '@/lib/db/database-url.mjs';
import { diffMigrationsToSchema } from '@/scripts/db/engine.mjs';
import { ADVISORY_LOCK_ID, applyMigrations, checksumOf, MigrationError, readMigrations } from '@/scripts/db/migrations.mjs';
import { migrationsPath, renderSchema, ROOT } from '@/scripts/db/schemas.mjs';
import { adminQuery, DIALECTS, TEST_DATABASE_URL, withSchema, type Dialect } from '@/test/helpers/db';

const execFileAsync = promisify(execFile);
const run = (file: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }) =>
  execFileAsync(file, args, { ...options, env: options.env as NodeJS.ProcessEnv, encoding: 'utf8' });
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const tempDirs: string[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const db of clients.values()) await db.$disconnect();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'connect-next-migrate-'));
  tempDirs.push(dir);
  return dir;
}

/** A URL for a database that does not exist yet (a new SQLite file, a new PostgreSQL schema). */
function freshUrl(dialect: Dialect): string {
  if (dialect === 'sqlite') return `file:${path.join(tempDir(), 'nested', 'dir', 'fresh.db')}`;
  const schema = `t_migrate_${Math.random().toString(16).slice(2, 10)}`;
  schemas.push(schema);
  return withSchema(TEST_DATABASE_URL, schema);
}

/** A writable copy of the committed migrations of `dialect`. */
function copyOfMigrations(dialect: Dialect): string {
  const dir = path.join(tempDir(), 'migrations');
  cpSync(migrationsPath(dialect), dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}

const clients = new Map<string, Db>();

/** Runs SQL against the database at `url` (in PostgreSQL, inside the schema of its `?schema=`); integers as numbers. */
async function query<T = Record<string, unknown>>(url: string, sql: string, ...params: unknown[]): Promise<T[]> {
  let db = clients.get(url);
  if (!db) clients.set(url, (db = createDb(url)));
  if (!/^\s*(SELECT|PRAGMA)/i.test(sql)) {
    await db.$executeRawUnsafe(sql, ...params);
    return [];
  }
  const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params);
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) as T[];
}

function millis(value: unknown): number {
  return value instanceof Date ? value.getTime() : Number(value);
}

async function migrationRows(url: string) {
  return query<{
    id: string;
    checksum: string;
    migration_name: string;
    started_at: unknown;
    finished_at: unknown;
    logs: unknown;
    rolled_back_at: unknown;
    applied_steps_count: number;
  }>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY "started_at"');
}

async function tableNames(url: string): Promise<string[]> {
  const rows = databaseDialect(url) === 'sqlite'
    ? await query<{ name: string }>(url, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    : await query<{ name: string }>(url, 'SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema()');
  return rows.map((r) => r.name).sort();
}

async function expectMigrationError(promise: Promise<unknown>, code: string): Promise<MigrationError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MigrationError);
  expect((err as MigrationError).code).toBe(code);
  return err as MigrationError;
}

describe.each(DIALECTS)('applyMigrations [%s]', (dialect) => {
  it('records each migration in _prisma_migrations exactly as prisma migrate deploy does', async () => {
    const url = freshUrl(dialect);
    const before = Date.now();
    const result = await applyMigrations(url);
    const after = Date.now();
    const committed = readMigrations(migrationsPath(dialect));
    expect(committed.length).toBeGreaterThan(0);
    expect(result).toEqual({ applied: committed.map((m) => m.name), upToDate: 0 });

    const rows = await migrationRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(committed.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const file = readFileSync(path.join(migrationsPath(dialect), row.migration_name, 'migration.sql'), 'utf8');
      expect(row.id).toMatch(UUID_V4);
      expect(row.checksum).toBe(checksumOf(file));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.checksum).toBe(committed[i].checksum);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(Number(row.applied_steps_count)).toBe(1);
      const started = millis(row.started_at);
      const finished = millis(row.finished_at);
      expect(started).toBeGreaterThanOrEqual(before);
      expect(finished).toBeGreaterThanOrEqual(started);
      expect(finished).toBeLessThanOrEqual(after);
    }
    if (dialect === 'sqlite') {
      // Prisma's SQLite connector stores DateTime values as integer milliseconds since the epoch.
      const types = await query(url, 'SELECT DISTINCT typeof("started_at") AS s, typeof("finished_at") AS f, typeof("applied_steps_count") AS n FROM "_prisma_migrations"');
      expect(types).toEqual([{ s: 'integer', f: 'integer', n: 'integer' }]);
    }
    expect(await tableNames(url)).toEqual(['ForgeInstallation', 'Note', 'PrivacyReport', 'Site', 'Tenant', 'WebhookDelivery', '_prisma_migrations']);
  });

  it('is idempotent: a second run applies nothing', async () => {
    const url = freshUrl(dialect);
    await applyMigrations(url);
    const rows = await migrationRows(url);
    const again = await applyMigrations(url);
    expect(again.applied).toEqual([]);
    expect(again.upToDate).toBe(rows.length);
    expect(await migrationRows(url)).toEqual(rows);
  });

  it('applies only the migrations added since the last run', async () => {
    const url = freshUrl(dialect);
    const dir = copyOfMigrations(dialect);
    await applyMigrations(url, { migrationsDir: dir });
    addMigration(dir, '29990101000000_add_audit', 'CREATE TABLE "Audit" ("id" INTEGER NOT NULL PRIMARY KEY);');
    const result = await applyMigrations(url, { migrationsDir: dir });
    expect(result.applied).toEqual(['29990101000000_add_audit']);
    expect(await tableNames(url)).toContain('Audit');
  });

  it('refuses to run when an applied migration was edited, and changes nothing', async () => {
    const url = freshUrl(dialect);
    const dir = copyOfMigrations(dialect);
    await applyMigrations(url, { migrationsDir: dir });
    const [first] = readMigrations(dir);
    writeFileSync(path.join(dir, first.name, 'migration.sql'), first.sql + '\n-- edited\n');
    addMigration(dir, '29990101000000_later', 'CREATE TABLE "Later" ("id" INTEGER NOT NULL PRIMARY KEY);');
    const err = await expectMigrationError(applyMigrations(url, { migrationsDir: dir }), 'CHECKSUM_MISMATCH');
    expect(err.message).toContain(first.name);
    expect(await tableNames(url)).not.toContain('Later');
  });

  it('accepts a migration file checked out with CRLF line endings', async () => {
    const url = freshUrl(dialect);
    const dir = copyOfMigrations(dialect);
    await applyMigrations(url, { migrationsDir: dir });
    const [first] = readMigrations(dir);
    writeFileSync(path.join(dir, first.name, 'migration.sql'), first.sql.replace(/\n/g, '\r\n'));
    await expect(applyMigrations(url, { migrationsDir: dir })).resolves.toMatchObject({ applied: [] });
  });

  it('refuses to run while a migration is recorded as failed', async () => {
    const url = freshUrl(dialect);
    await applyMigrations(url);
    await query(url, `UPDATE "_prisma_migrations" SET "finished_at" = NULL, "logs" = 'boom'`);
    await expectMigrationError(applyMigrations(url), 'FAILED_MIGRATION');
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const url = freshUrl(dialect);
    const dir = copyOfMigrations(dialect);
    addMigration(dir, '29990101000000_broken', 'CREATE TABLE "Half" ("id" INTEGER NOT NULL PRIMARY KEY);\nSELECT * FROM "NoSuchTable";\n');
    const err = await expectMigrationError(applyMigrations(url, { migrationsDir: dir }), 'MIGRATION_FAILED');
    expect(err.message).toContain('29990101000000_broken');
    expect(await tableNames(url)).not.toContain('Half');
    const rows = await migrationRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(readMigrations(migrationsPath(dialect)).map((m) => m.name));
    // Fixed, it goes through.
    writeFileSync(path.join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" ("id" INTEGER NOT NULL PRIMARY KEY);\n');
    await expect(applyMigrations(url, { migrationsDir: dir })).resolves.toMatchObject({ applied: ['29990101000000_broken'] });
  });

  it('lets concurrent processes apply each migration once', async () => {
    const url = freshUrl(dialect);
    const script = path.join(ROOT, 'scripts/db/migrate.mjs');
    const env = { ...process.env, NODE_ENV: 'development', DATABASE_URL: url };
    const outputs = await Promise.all([1, 2, 3].map(() => run(process.execPath, [script], { cwd: tempDir(), env })));
    const committed = readMigrations(migrationsPath(dialect)).map((m) => m.name);
    const applied = outputs.flatMap(({ stdout }) => [...stdout.matchAll(/^Applied (\S+)$/gm)].map((m) => m[1]));
    expect(applied.sort()).toEqual([...committed].sort());
    expect((await migrationRows(url)).length).toBe(committed.length);
  });
});

describe('applyMigrations on PostgreSQL', () => {
  it('creates the schema named by ?schema= and keeps everything inside it', async () => {
    const url = freshUrl('postgresql');
    const schema = new URL(url).searchParams.get('schema');
    await applyMigrations(url);
    const rows = await query<{ table_schema: string }>(
      withSchema(TEST_DATABASE_URL, 'public'),
      `SELECT DISTINCT table_schema::text FROM information_schema.tables WHERE table_name IN ('Tenant', '_prisma_migrations') AND table_schema = $1`,
      schema,
    );
    expect(rows).toEqual([{ table_schema: schema }]);
  });

  it('creates _prisma_migrations with the column types Prisma uses', async () => {
    const url = freshUrl('postgresql');
    await applyMigrations(url);
    const columns = await query<{ column_name: string; data_type: string; max: number | null; nullable: string }>(
      url,
      `SELECT column_name::text, data_type::text, character_maximum_length::int AS max, is_nullable::text AS nullable
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', max: 36, nullable: 'NO' },
      { column_name: 'checksum', data_type: 'character varying', max: 64, nullable: 'NO' },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', max: null, nullable: 'YES' },
      { column_name: 'migration_name', data_type: 'character varying', max: 255, nullable: 'NO' },
      { column_name: 'logs', data_type: 'text', max: null, nullable: 'YES' },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', max: null, nullable: 'YES' },
      { column_name: 'started_at', data_type: 'timestamp with time zone', max: null, nullable: 'NO' },
      { column_name: 'applied_steps_count', data_type: 'integer', max: null, nullable: 'NO' },
    ]);
  });

  it('waits for the advisory lock Prisma Migrate uses, and does nothing before it has it', async () => {
    // The migrator's session is found by its application_name (other test files, and other checkouts on the
    // same server, may migrate at the same time).
    const schemaUrl = new URL(freshUrl('postgresql'));
    const schema = schemaUrl.searchParams.get('schema')!;
    const applicationName = `migrate-lock-test-${Math.random().toString(16).slice(2, 10)}`;
    schemaUrl.searchParams.set('application_name', applicationName);
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_ID]);
      let done = false;
      const migrating = applyMigrations(schemaUrl.toString()).then((r) => ((done = true), r));
      // The event: PostgreSQL shows the migrator's session waiting for (not holding) that advisory lock.
      await vi.waitFor(async () => {
        const { rows } = await holder.query(
          `SELECT l.granted FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE a.application_name = $1 AND l.locktype = 'advisory'
             AND ((l.classid::bigint << 32) | l.objid::bigint) = $2::bigint`,
          [applicationName, ADVISORY_LOCK_ID],
        );
        expect(rows).toEqual([{ granted: false }]);
      }, { timeout: 15_000, interval: 50 });
      expect(done).toBe(false);
      // Blocked before its first step: the schema it creates does not exist yet.
      expect((await holder.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0);
      await holder.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_ID]);
      expect((await migrating).applied).toEqual(readMigrations(migrationsPath('postgresql')).map((m: { name: string }) => m.name));
    } finally {
      await holder.end();
    }
  });
});

describe('applyMigrations on SQLite', () => {
  it('rebuilds a table the way Prisma migrations do without cascading deletes to child rows', async () => {
    const url = freshUrl('sqlite');
    const dir = copyOfMigrations('sqlite');
    await applyMigrations(url, { migrationsDir: dir });
    await query(url, `INSERT INTO "Site" ("id") VALUES ('c')`);
    await query(url, `INSERT INTO "Tenant" ("clientKey","siteId","key","baseUrl","productType","description","sharedSecret","state","installedAt","updatedAt") VALUES ('c','c','k','https://x','jira','d','s','installed',0,0)`);
    await query(url, `INSERT INTO "Note" ("id","siteId","issueKey","authorAccountId","text") VALUES ('n1','c','ISSUE-1','a','hello')`);
    // Making a column optional needs SQLite's copy-and-drop table rebuild; let the schema engine write it.
    const models = readFileSync(path.join(ROOT, 'prisma/models.prisma'), 'utf8').replace(/^(\s+description\s+)String$/m, '$1String?');
    const { script } = await diffMigrationsToSchema({ dialect: 'sqlite', migrationsDir: dir, schema: renderSchema('sqlite', models) });
    expect(script).toContain('DROP TABLE "Tenant"');
    addMigration(dir, '29990101000000_optional_description', script);
    await applyMigrations(url, { migrationsDir: dir });
    expect(await query(url, 'SELECT "id" FROM "Note"')).toEqual([{ id: 'n1' }]);
    expect(await query(url, 'PRAGMA foreign_key_check')).toEqual([]);
  });
});

describe('npm run db:migrate', () => {
  const cli = (env: Record<string, string>) =>
    run(process.execPath, [path.join(ROOT, 'scripts/db/migrate.mjs')], { cwd: tempDir(), env: { ...process.env, NODE_ENV: 'development', ...env } });

  it('creates and migrates the development SQLite file by default', async () => {
    const cwd = tempDir();
    const env = { ...process.env, NODE_ENV: 'development' } as Record<string, string>;
    delete env.DATABASE_URL;
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts/db/migrate.mjs')], { cwd, env });
    expect(stdout).toMatch(/Applied \d+ migration/);
    expect(existsSync(path.join(cwd, '.data/dev.db'))).toBe(true);
  });

  it('reads DATABASE_URL from .env', async () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, '.env'), 'DATABASE_URL=file:./from-env.db\n');
    const env = { ...process.env, NODE_ENV: 'development' } as Record<string, string>;
    delete env.DATABASE_URL;
    await run(process.execPath, [path.join(ROOT, 'scripts/db/migrate.mjs')], { cwd, env });
    expect(existsSync(path.join(cwd, 'from-env.db'))).toBe(true);
  });

  it('exits non-zero with a clear message when an applied migration changed', async () => {
    const url = freshUrl('sqlite');
    await cli({ DATABASE_URL: url });
    await query(url, `UPDATE "_prisma_migrations" SET "checksum" = 'edited'`);
    const failed = await cli({ DATABASE_URL: url }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/changed after it was applied/);
  });

  it('migrates a PostgreSQL schema and never prints the URL', async () => {
    const url = freshUrl('postgresql').replace('postgres@', 'postgres:not-a-real-password@');
    const { stdout, stderr } = await cli({ DATABASE_URL: url });
    expect(stdout).toMatch(/Applied \d+ migration/);
    expect(stdout + stderr).not.toContain('not-a-real-password');
  });

  it('requires DATABASE_URL in production', async () => {
    const env = { ...process.env, NODE_ENV: 'production' } as Record<string, string>;
    delete env.DATABASE_URL;
    const failed = await run(process.execPath, [path.join(ROOT, 'scripts/db/migrate.mjs')], { cwd: tempDir(), env }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('DATABASE_URL is required in production');
  });
});
