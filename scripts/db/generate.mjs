/**
 * Generates the Prisma clients for both dialects into lib/db/generated/{sqlite,postgres} (gitignored).
 * Runs as `postinstall`, so it must work offline (see prisma-cli.mjs).
 *
 *   node scripts/db/generate.mjs            generate both clients (warns if a schema file is stale)
 *   node scripts/db/generate.mjs --schemas  `npm run db:generate`: first format prisma/models.prisma and
 *                                           rewrite prisma/{sqlite,postgres}/schema.prisma from it
 */
import path from 'node:path';
import { formatModels, runPrisma } from './prisma-cli.mjs';
import { ROOT, schemaPath, staleSchemas, writeSchemas } from './schemas.mjs';

if (process.argv.includes('--schemas')) {
  await formatModels();
  const written = writeSchemas();
  if (written.length) console.log(`Wrote ${written.join(', ')}`);
} else {
  const stale = staleSchemas();
  if (stale.length) {
    console.warn(`Warning: ${stale.join(', ')} do not match prisma/models.prisma; run \`npm run db:generate\`.`);
  }
}

const started = Date.now();
const dialects = /** @type {const} */ (['sqlite', 'postgresql']);
const results = await Promise.all(dialects.map((d) => runPrisma(['generate', '--schema', path.relative(ROOT, schemaPath(d))])));
const failed = results.map((r, i) => ({ ...r, dialect: dialects[i] })).filter((r) => r.code !== 0);
for (const r of failed) process.stderr.write(`prisma generate failed for ${r.dialect}:\n${r.output}\n`);
if (failed.length) process.exit(1);
console.log(`Generated Prisma clients (sqlite, postgresql) in ${Date.now() - started} ms.`);
