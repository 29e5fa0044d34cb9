/**
 * The committed migrations, the schema files and prisma/models.prisma must agree. If this fails after you
 * edited prisma/models.prisma, run `npm run db:diff -- <name>` (it regenerates the schemas and writes the
 * migrations for both databases) and commit the result.
 *
 * How: each dialect's migrations are applied to a new, empty database (a SQLite file; a PostgreSQL schema) by
 * the same runner production uses, then Prisma's schema engine compares that database with the schema. Any
 * difference (a table, column, type, nullability, default, index, foreign key) is a non-empty migration.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDatabaseToSchema, diffMigrationsToSchema } from '@/scripts/db/engine.mjs';
import { migrationLockFile } from '@/scripts/db/migrations.mjs';
import { runPrisma } from '@/scripts/db/prisma-cli.mjs';
import { DIALECTS as SCHEMA_DIALECTS, MODELS_FILE, migrationsPath, renderSchema, schemaPath, staleSchemas } from '@/scripts/db/schemas.mjs';
import { createTestDatabase, DIALECTS, type TestDatabase } from '@/test/helpers/db';

const models = readFileSync(MODELS_FILE, 'utf8');

/** prisma/models.prisma with `field` added to model `model`. */
function withField(model: string, field: string): string {
  const changed = models.replace(new RegExp(`(model ${model} \\{\\n)`), `$1  ${field}\n`);
  expect(changed).not.toBe(models);
  return changed;
}

describe('schema files', () => {
  it('are generated from prisma/models.prisma and committed up to date', () => {
    expect(staleSchemas(), 'run `npm run db:generate` and commit prisma/').toEqual([]);
  });

  it('are formatted as `prisma format` writes them', async () => {
    // The generated files are the models under a fixed header; one of them stands for both.
    const files = ['prisma/models.prisma', 'prisma/postgres/schema.prisma'];
    const results = await Promise.all(files.map((file) => runPrisma(['format', '--check', '--schema', file])));
    expect(results.map((r, i) => (r.code === 0 ? 'formatted' : `${files[i]}: ${r.output}`)), 'run `npm run db:generate`').toEqual(files.map(() => 'formatted'));
  }, 30_000);

  it('use no provider-specific features, so one model file serves both databases', () => {
    const code = models.replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/@db\./);
    expect(code).not.toMatch(/^\s*enum\s/m);
    expect(code).not.toMatch(/\b(Json|Decimal|Bytes|Unsupported)\b/);
    // Lists are fine as relations (`Note[]`), not as scalar columns (`String[]` exists only on PostgreSQL).
    const modelNames = [...code.matchAll(/^model (\w+)/gm)].map((m) => m[1]);
    const listTypes = [...code.matchAll(/(\w+)\[\]/g)].map((m) => m[1]);
    expect(listTypes.filter((t) => !modelNames.includes(t))).toEqual([]);
  });

  it.each(DIALECTS)('%s migrations carry a migration_lock.toml for their provider', (dialect) => {
    const lock = readFileSync(path.join(migrationsPath(dialect), 'migration_lock.toml'), 'utf8');
    expect(lock).toBe(migrationLockFile(SCHEMA_DIALECTS[dialect].provider));
  });
});

describe.each(DIALECTS)('migrations match the schema [%s]', (dialect) => {
  let database: TestDatabase;
  const schema = () => readFileSync(schemaPath(dialect), 'utf8');

  beforeAll(async () => {
    database = await createTestDatabase(dialect, 'drift');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('a database built by the committed migrations is exactly the schema', async () => {
    const diff = await diffDatabaseToSchema({ databaseUrl: database.url, schema: schema() });
    expect(diff.script, 'run `npm run db:diff -- <name>` and commit the new migrations').toBe('-- This is an empty migration.\n');
    expect(diff.empty).toBe(true);
  });

  it('notices a field added to the models but not to the migrations', async () => {
    const drifted = renderSchema(dialect, withField('Tenant', 'region String?'));
    const diff = await diffDatabaseToSchema({ databaseUrl: database.url, schema: drifted });
    expect(diff.empty).toBe(false);
    expect(diff.script).toMatch(/ALTER TABLE "Tenant" ADD COLUMN\s+"region" TEXT;/);
  });

  it('notices an index added to the models but not to the migrations', async () => {
    const drifted = renderSchema(dialect, models.replace('@@index([siteId, issueKey])', '@@index([siteId, issueKey])\n  @@index([authorAccountId])'));
    const diff = await diffDatabaseToSchema({ databaseUrl: database.url, schema: drifted });
    expect(diff.empty).toBe(false);
    expect(diff.script).toContain('CREATE INDEX "Note_authorAccountId_idx"');
  });

  it('notices a changed nullability', async () => {
    const drifted = renderSchema(dialect, models.replace(/^(\s+projectKey\s+)String\?/m, '$1String'));
    expect((await diffDatabaseToSchema({ databaseUrl: database.url, schema: drifted })).empty).toBe(false);
  });
});

// The path `npm run db:diff` takes: replay the migrations into a shadow database (SQLite in memory,
// PostgreSQL in PGlite). Checked here so the tool that writes migrations is known to work offline.
describe('npm run db:diff --check', () => {
  it.each(DIALECTS)('finds nothing to write for %s, and a migration after a model change', async (dialect) => {
    const dir = migrationsPath(dialect);
    const current = await diffMigrationsToSchema({ dialect, migrationsDir: dir, schema: readFileSync(schemaPath(dialect), 'utf8') });
    expect(current).toEqual({ empty: true, script: '-- This is an empty migration.\n' });
    const changed = await diffMigrationsToSchema({ dialect, migrationsDir: dir, schema: renderSchema(dialect, withField('Note', 'color String?')) });
    expect(changed.empty).toBe(false);
    expect(changed.script).toMatch(/ALTER TABLE "Note" ADD COLUMN\s+"color" TEXT;/);
  }, 60_000);
});
