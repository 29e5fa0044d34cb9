/**
 * `npm run vercel-build`: the build Vercel runs (vercel.json "buildCommand"). Types: vercel-build.d.mts.
 *
 *   1. checks the database: PostgreSQL is required (SQLite cannot work on Vercel: its file system is read-only
 *      and every instance has its own), and ENCRYPTION_KEY for production; stops with what to set otherwise;
 *   2. checks that lib/forge/route-rules.generated.ts matches forge/manifest.yml (scripts/forge/route-rules.mjs);
 *   3. applies pending migrations (scripts/db/migrate.mjs), for production deployments only: a preview
 *      deployment migrates only with MIGRATE_PREVIEW=1, which you set for Preview together with a Preview
 *      DATABASE_URL of its own, so a branch never changes the production database;
 *   4. makes sure the Prisma clients exist (postinstall generates them; the build needs both);
 *   5. builds the browser side (scripts/ui-build.mjs): the Connect iframe pages' bundles into public/ui/connect/
 *      and the names their shells load into lib/http/iframe-assets.generated.ts, which `next build` compiles in;
 *   6. runs `next build`.
 *
 * Migrations use DATABASE_URL_UNPOOLED when it is set (Vercel's Neon integration sets it): migrating holds
 * an advisory lock for the whole session, which a transaction-pooling proxy (PgBouncer) cannot keep.
 *
 *   node scripts/vercel-build.mjs --dry-run   prints what it would do with this environment, does nothing
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseDialect } from '../lib/db/database-url.mjs';
import { envValue } from '../lib/env.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * What a build with `env` does, or why it must not start.
 *
 * @param {Record<string, string | undefined>} env
 * @returns {import('./vercel-build.d.mts').VercelBuildPlan}
 * @example vercelBuildPlan({ VERCEL: '1', VERCEL_ENV: 'preview', DATABASE_URL: 'postgresql://…' }).migrate // false
 */
export function vercelBuildPlan(env) {
  const deployment = envValue(env, 'VERCEL_ENV') ?? 'development';
  const databaseUrl = envValue(env, 'DATABASE_URL');
  const problems = [];
  if (!databaseUrl || databaseDialect(databaseUrl) === 'sqlite') {
    problems.push(`DATABASE_URL ${databaseUrl ? 'is a SQLite file' : 'is not set'}: on Vercel the app needs PostgreSQL (SQLite cannot work there: ` +
      'the file system is read-only and not shared between instances). Set DATABASE_URL to a PostgreSQL connection string, ' +
      'e.g. postgresql://user:password@host:5432/db?sslmode=require, in the Vercel project: Settings → Environment Variables, ' +
      `for ${deployment === 'production' ? 'Production' : `${capitalize(deployment)} (a database of its own, not production's)`}. ` +
      'Vercel\'s Marketplace (Neon, Supabase, …) can create one and set it for you.');
  } else if (!isPostgresUrl(databaseUrl)) {
    problems.push('DATABASE_URL must be a PostgreSQL URL (postgresql://… or postgres://…).');
  }
  const unpooled = envValue(env, 'DATABASE_URL_UNPOOLED');
  if (unpooled && !isPostgresUrl(unpooled)) problems.push('DATABASE_URL_UNPOOLED must be a PostgreSQL URL (postgresql://… or postgres://…).');
  if (deployment === 'production') {
    const key = envValue(env, 'ENCRYPTION_KEY');
    if (!key) {
      problems.push('ENCRYPTION_KEY is not set: the app encrypts tenants\' shared secrets with it. Generate one with `openssl rand -base64 32` ' +
        'and set it in Settings → Environment Variables (mark it Sensitive).');
    } else if (Buffer.from(key, 'base64').length !== 32 || Buffer.from(key, 'base64').toString('base64') !== key) {
      problems.push('ENCRYPTION_KEY must be 32 random bytes in base64: generate one with `openssl rand -base64 32`.');
    }
  }
  if (problems.length) return { ok: false, deployment, problems };

  const wantsPreview = envValue(env, 'MIGRATE_PREVIEW') === '1';
  const migrate = deployment === 'production' || wantsPreview;
  const reason = deployment === 'production' ? 'a production deployment applies pending migrations'
    : wantsPreview ? `MIGRATE_PREVIEW=1: this ${deployment} deployment migrates its own DATABASE_URL`
      : `a ${deployment} deployment does not migrate (set MIGRATE_PREVIEW=1 with a ${deployment} DATABASE_URL of its own to migrate it)`;
  return { ok: true, deployment, migrate, reason, migrationUrl: unpooled || /** @type {string} */ (databaseUrl) };
}

/** A PostgreSQL URL for printing: host, port, database and schema; never the user or password. @param {string} url */
export function describeDatabase(url) {
  try {
    const u = new URL(url);
    const schema = u.searchParams.get('schema');
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}${schema ? ` (schema ${schema})` : ''}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** @param {string} url */
function isPostgresUrl(url) {
  return databaseDialect(url) === 'postgresql';
}

/** @param {string} s */
function capitalize(s) {
  return s[0].toUpperCase() + s.slice(1);
}

/** @param {string} script @param {string[]} args @param {NodeJS.ProcessEnv} env */
function run(script, args, env) {
  const result = spawnSync(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function build() {
  const dryRun = process.argv.includes('--dry-run');
  const plan = vercelBuildPlan(process.env);
  const where = process.env.VERCEL === '1' ? 'on Vercel' : 'outside Vercel (VERCEL is not 1)';
  if (!plan.ok) {
    console.error(`[vercel-build] Cannot build the ${plan.deployment} deployment:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`[vercel-build] ${plan.deployment} deployment ${where}.`);
  console.log(`[vercel-build] Migrations: ${plan.migrate ? `applying to ${describeDatabase(plan.migrationUrl)}` : 'skipped'}: ${plan.reason}.`);
  if (dryRun) return;

  // The Forge routes' module table ships as a committed file (the manifest is not traced into the deployment):
  // a table that no longer matches forge/manifest.yml stops the build before anything is migrated.
  run('scripts/forge/route-rules.mjs', ['--check'], process.env);

  if (plan.migrate) run('scripts/db/migrate.mjs', [], { ...process.env, DATABASE_URL: plan.migrationUrl });

  // lib/db/client.ts imports both generated clients; postinstall made them unless install scripts were skipped.
  const generated = ['sqlite', 'postgres'].every((d) => existsSync(path.join(ROOT, 'lib/db/generated', d, 'client.ts')));
  if (!generated) run('scripts/db/generate.mjs', [], process.env);

  run('scripts/ui-build.mjs', [], process.env);
  run('node_modules/next/dist/bin/next', ['build'], process.env);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();
