/**
 * Generates the Prisma clients for both dialects into lib/db/generated/{sqlite,postgres} (gitignored).
 * Runs as `postinstall`, so it must work offline.
 *
 *   node scripts/db/generate.mjs            generate both clients (warns if a schema file is stale)
 *   node scripts/db/generate.mjs --schemas  first rewrite prisma/{sqlite,postgres}/schema.prisma from models.prisma
 *
 * Why PRISMA_SCHEMA_ENGINE_BINARY: every Prisma 7 CLI command first makes sure the native schema engine is
 * downloaded, and fails where Prisma's binary host is unreachable. `generate` never runs that engine (the
 * `prisma-client` generator is WebAssembly), so any existing executable satisfies the check.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, schemaPath, staleSchemas, writeSchemas } from './schemas.mjs';

const require = createRequire(import.meta.url);
const prismaCli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build/index.js');

if (process.argv.includes('--schemas')) {
  const written = writeSchemas();
  if (written.length) console.log(`Wrote ${written.join(', ')}`);
} else {
  const stale = staleSchemas();
  if (stale.length) {
    console.warn(`Warning: ${stale.join(', ')} do not match prisma/models.prisma; run \`npm run db:generate\`.`);
  }
}

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
  CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};

const started = Date.now();
const results = await Promise.all(
  /** @type {const} */ (['sqlite', 'postgresql']).map((dialect) => generate(dialect)),
);
const failed = results.filter((r) => r.code !== 0);
for (const r of failed) process.stderr.write(`prisma generate failed for ${r.dialect}:\n${r.output}\n`);
if (failed.length) process.exit(1);
console.log(`Generated Prisma clients (sqlite, postgresql) in ${Date.now() - started} ms.`);

/** @param {'sqlite' | 'postgresql'} dialect */
function generate(dialect) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [prismaCli, 'generate', '--schema', path.relative(ROOT, schemaPath(dialect))], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ dialect, code: 1, output: String(err) }));
    child.on('close', (code) => resolve({ dialect, code: code ?? 1, output }));
  });
}
