/**
 * Renders the two provider-specific Prisma schemas from the one data model, `prisma/models.prisma`.
 *
 * Prisma rejects `provider = env(...)` and a generated client or a migration is specific to one SQL dialect,
 * so SQLite and PostgreSQL each get a schema file (committed, so `prisma` commands work on a fresh clone)
 * with its own generator output and migrations folder beside it.
 *
 *   node scripts/db/schemas.mjs          writes prisma/{sqlite,postgres}/schema.prisma
 *   node scripts/db/schemas.mjs --check  exits 1 if a committed schema file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS_FILE = path.join(ROOT, 'prisma/models.prisma');

/**
 * The two dialects. `dir` holds schema.prisma and migrations/; `provider` is Prisma's datasource provider.
 * @type {Record<'sqlite' | 'postgresql', { provider: 'sqlite' | 'postgresql', dir: string, client: string }>}
 */
export const DIALECTS = {
  sqlite: { provider: 'sqlite', dir: path.join(ROOT, 'prisma/sqlite'), client: 'sqlite' },
  postgresql: { provider: 'postgresql', dir: path.join(ROOT, 'prisma/postgres'), client: 'postgres' },
};

/** @param {'sqlite' | 'postgresql'} dialect */
export function schemaPath(dialect) {
  return path.join(DIALECTS[dialect].dir, 'schema.prisma');
}

/** @param {'sqlite' | 'postgresql'} dialect */
export function migrationsPath(dialect) {
  return path.join(DIALECTS[dialect].dir, 'migrations');
}

/**
 * The full schema file for one dialect: a generated header, then the models unchanged.
 * @param {'sqlite' | 'postgresql'} dialect
 * @param {string} [models] the models text; defaults to prisma/models.prisma
 */
export function renderSchema(dialect, models = readFileSync(MODELS_FILE, 'utf8')) {
  const { provider, client } = DIALECTS[dialect];
  return `// GENERATED from prisma/models.prisma by scripts/db/schemas.mjs: edit that file, then run \`npm run db:generate\`.

datasource db {
  provider = "${provider}"
}

generator client {
  provider               = "prisma-client"
  output                 = "../../lib/db/generated/${client}"
  runtime                = "nodejs"
  moduleFormat           = "esm"
  generatedFileExtension = "ts"
  importFileExtension    = ""
}

${models.trimEnd()}
`;
}

/**
 * Writes both schema files if they differ from the rendering. Returns the paths it rewrote.
 * @returns {string[]}
 */
export function writeSchemas() {
  const models = readFileSync(MODELS_FILE, 'utf8');
  /** @type {string[]} */
  const written = [];
  for (const dialect of /** @type {const} */ (['sqlite', 'postgresql'])) {
    const file = schemaPath(dialect);
    const text = renderSchema(dialect, models);
    if (readOrEmpty(file) !== text) {
      writeFileSync(file, text);
      written.push(path.relative(ROOT, file));
    }
  }
  return written;
}

/**
 * The schema files that do not match prisma/models.prisma.
 * @returns {string[]}
 */
export function staleSchemas() {
  const models = readFileSync(MODELS_FILE, 'utf8');
  return /** @type {const} */ (['sqlite', 'postgresql'])
    .filter((d) => readOrEmpty(schemaPath(d)) !== renderSchema(d, models))
    .map((d) => path.relative(ROOT, schemaPath(d)));
}

/** @param {string} file */
function readOrEmpty(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleSchemas();
    if (stale.length) {
      console.error(`Stale: ${stale.join(', ')}. Run \`npm run db:generate\` and commit the result.`);
      process.exit(1);
    }
  } else {
    const written = writeSchemas();
    console.log(written.length ? `Wrote ${written.join(', ')}` : 'Schemas are up to date.');
  }
}
