/**
 * Prisma CLI configuration, for developers with the Prisma engines at hand (`npx prisma migrate dev`,
 * `migrate deploy`, `studio`). The app itself does not read this file: it migrates with scripts/db/migrate.mjs
 * and connects through lib/db/client.ts.
 *
 * DATABASE_URL picks the dialect as the app does (lib/db/database-url.mjs): `file:` is SQLite (prisma/sqlite/),
 * `postgres://` or `postgresql://` is PostgreSQL (prisma/postgres/). Unset, it is the development SQLite file.
 * Edit prisma/models.prisma, not the generated schema files.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { databaseDialect, DEFAULT_DEV_DATABASE_URL, UNKNOWN_DIALECT_PROBLEM } from './lib/db/database-url.mjs';
import { envValue } from './lib/env.mjs';

if (existsSync('.env')) process.loadEnvFile('.env');

const url = envValue(process.env, 'DATABASE_URL') ?? DEFAULT_DEV_DATABASE_URL;
const dialect = databaseDialect(url);
if (!dialect) throw new Error(`DATABASE_URL ${UNKNOWN_DIALECT_PROBLEM}`);
// The folder under prisma/ (scripts/db/schemas.mjs names them).
const folder = dialect === 'postgresql' ? 'postgres' : 'sqlite';

export default defineConfig({
  schema: `prisma/${folder}/schema.prisma`,
  migrations: { path: `prisma/${folder}/migrations` },
  // SQLite paths are relative to the working directory, as in the app (lib/db/client.ts).
  datasource: { url: dialect === 'sqlite' ? `file:${path.resolve(url.slice('file:'.length))}` : url },
});
