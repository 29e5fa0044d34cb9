/**
 * Prisma CLI configuration, for developers with the Prisma engines at hand (`npx prisma migrate dev`,
 * `migrate deploy`, `studio`). The app itself does not read this file: it migrates with scripts/db/migrate.mjs
 * and connects through lib/db/client.ts.
 *
 * DATABASE_URL picks the dialect the same way lib/config.ts does: `file:` is SQLite (prisma/sqlite/),
 * `postgres://` or `postgresql://` is PostgreSQL (prisma/postgres/). Unset, it is the development SQLite file.
 * Edit prisma/models.prisma, not the generated schema files.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

if (existsSync('.env')) process.loadEnvFile('.env');

const url = process.env.DATABASE_URL?.trim() || 'file:./.data/dev.db';
const dialect = url.startsWith('file:') ? 'sqlite' : /^postgres(ql)?:\/\//.test(url) ? 'postgres' : undefined;
if (!dialect) throw new Error('DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL).');

export default defineConfig({
  schema: `prisma/${dialect}/schema.prisma`,
  migrations: { path: `prisma/${dialect}/migrations` },
  // SQLite paths are relative to the working directory, as in the app (lib/db/client.ts).
  datasource: { url: dialect === 'sqlite' ? `file:${path.resolve(url.slice('file:'.length))}` : url },
});
