/**
 * `npm run db:diff -- <name>`: after editing prisma/models.prisma, writes the migration for BOTH dialects,
 * offline, and regenerates the clients. The offline stand-in for `prisma migrate dev --create-only`.
 *
 *   npm run db:diff -- add_note_color     writes prisma/{sqlite,postgres}/migrations/<UTC timestamp>_add_note_color/
 *   npm run db:diff -- backfill --empty   writes an empty migration for hand-written SQL (data changes)
 *   npm run db:diff -- --check            writes nothing; exits 1 if the migrations lag behind the schema
 *
 * Each dialect's committed migrations are replayed into a throw-away shadow database (SQLite in memory,
 * PostgreSQL in an in-process PGlite) and compared with the schema by Prisma's own schema engine, so the SQL
 * is what `prisma migrate dev` would write, minus its data-loss warning comments: read the SQL before
 * committing, especially DROP and table rebuilds. Review both files; they are applied by `npm run db:migrate`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { diffMigrationsToSchema } from './engine.mjs';
import { migrationLockFile } from './migrations.mjs';
import { formatModels } from './prisma-cli.mjs';
import { DIALECTS, ROOT, migrationsPath, schemaPath, writeSchemas } from './schemas.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const empty = args.includes('--empty');
const rawName = args.find((a) => !a.startsWith('--'));

if (!check && !rawName) {
  console.error('Usage: npm run db:diff -- <migration_name> [--empty]   or   npm run db:diff -- --check');
  process.exit(2);
}

await formatModels();
const written = writeSchemas();
if (written.length) console.log(`Updated ${written.join(', ')} from prisma/models.prisma.`);

const name = rawName
  ?.toLowerCase()
  .replace(/[^a-z0-9]+/g, '_')
  .replace(/^_+|_+$/g, '')
  .slice(0, 200);
// Prisma names migrations by the UTC time they were created, so folders sort in creation order.
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const folder = `${stamp}_${name}`;

let behind = 0;
let created = 0;
for (const dialect of /** @type {const} */ (['sqlite', 'postgresql'])) {
  const dir = migrationsPath(dialect);
  const started = Date.now();
  const { empty: upToDate, script } = await diffMigrationsToSchema({
    dialect,
    migrationsDir: dir,
    schema: readFileSync(schemaPath(dialect), 'utf8'),
  });
  const took = `${Date.now() - started} ms`;
  if (upToDate && !empty) {
    console.log(`${dialect}: migrations match the schema (${took}).`);
    continue;
  }
  behind += upToDate ? 0 : 1;
  if (check) {
    console.error(`${dialect}: the migrations in ${path.relative(ROOT, dir)} do not produce the schema; missing:\n${script}`);
    continue;
  }
  const target = path.join(dir, folder);
  if (existsSync(target)) throw new Error(`${path.relative(ROOT, target)} already exists.`);
  mkdirSync(target, { recursive: true });
  writeFileSync(path.join(target, 'migration.sql'), upToDate ? '-- This is an empty migration.\n' : script);
  const lock = path.join(dir, 'migration_lock.toml');
  if (!existsSync(lock)) writeFileSync(lock, migrationLockFile(DIALECTS[dialect].provider));
  created++;
  console.log(`${dialect}: wrote ${path.relative(ROOT, path.join(target, 'migration.sql'))} (${took}).`);
}

if (check) process.exit(behind ? 1 : 0);
if (created) {
  const generated = spawnSync(process.execPath, [path.join(ROOT, 'scripts/db/generate.mjs')], { stdio: 'inherit' });
  if (generated.status !== 0) process.exit(generated.status ?? 1);
  console.log('Review the SQL, run `npm run db:migrate`, and commit prisma/ with your change.');
}
