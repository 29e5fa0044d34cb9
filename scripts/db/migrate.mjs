/**
 * `npm run db:migrate` (also run by `npm run dev` and `npm run build`): applies the pending committed
 * migrations to DATABASE_URL. Offline, through the plain driver; see scripts/db/migrations.mjs.
 *
 * DATABASE_URL is read as lib/config.ts reads it: from the environment or `.env`; unset outside production,
 * it is the development SQLite file (DEFAULT_DEV_DATABASE_URL, `file:./.data/dev.db`); in production it is required.
 */
import { existsSync } from 'node:fs';
import { databaseDialect, DEFAULT_DEV_DATABASE_URL } from '../../lib/db/database-url.mjs';
import { envValue } from '../../lib/env.mjs';
import { applyMigrations, MigrationError } from './migrations.mjs';

if (existsSync('.env')) process.loadEnvFile('.env');

const configured = envValue(process.env, 'DATABASE_URL');
if (!configured && process.env.NODE_ENV === 'production') {
  console.error('DATABASE_URL is required in production: set it to your PostgreSQL connection string, e.g. postgresql://user:pass@host:5432/db.');
  process.exit(1);
}
const databaseUrl = configured ?? DEFAULT_DEV_DATABASE_URL;

const started = Date.now();
try {
  const { applied, upToDate } = await applyMigrations(databaseUrl, { log: (message) => console.log(message) });
  const where = databaseDialect(databaseUrl) === 'sqlite' ? databaseUrl : 'PostgreSQL';
  console.log(
    applied.length
      ? `Applied ${applied.length} migration(s) to ${where} in ${Date.now() - started} ms.`
      : `Database ${where} is up to date (${upToDate} migration(s), ${Date.now() - started} ms).`,
  );
} catch (err) {
  // Messages name migrations and tables, never the URL (it may hold a password).
  console.error(err instanceof MigrationError || err instanceof Error ? `Migration failed: ${err.message}` : err);
  process.exit(1);
}
