/**
 * The Vercel build (`npm run vercel-build`, vercel.json's buildCommand) as far as it runs offline: the rules
 * it decides by, its early refusals, and one real production build against the local PostgreSQL server
 * into .next-vercel, with the migrations applied to a fresh schema.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDatabase, vercelBuildPlan } from '../../scripts/vercel-build.mjs';
import { adminQuery, newKey, TEST_DATABASE_URL, withSchema } from '../helpers/db';

const ROOT = path.resolve(import.meta.dirname, '../..');
const POSTGRES = 'postgresql://app:s3cret-password@db.example.com:5432/notes';
const KEY = newKey();

/** The build's environment as Vercel gives it: no NODE_ENV (the test runner's is not Vercel's). */
function vercelEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const { NODE_ENV: _, DATABASE_URL: __, ...rest } = process.env;
  return { ...rest, VERCEL: '1', NEXT_TELEMETRY_DISABLED: '1', ...extra };
}

async function build(env: Record<string, string | undefined>, args: string[] = [], timeout = 60_000) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['scripts/vercel-build.mjs', ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv, timeout, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('what a Vercel build does', () => {
  it('refuses SQLite, or no DATABASE_URL, saying what to set and where', () => {
    for (const DATABASE_URL of ['file:./.data/dev.db', undefined, ' ']) {
      const plan = vercelBuildPlan({ VERCEL: '1', VERCEL_ENV: 'production', DATABASE_URL, ENCRYPTION_KEY: KEY });
      expect(plan.ok).toBe(false);
      if (plan.ok) return;
      expect(plan.problems[0]).toMatch(/^DATABASE_URL (is a SQLite file|is not set): on Vercel the app needs PostgreSQL/);
      expect(plan.problems[0]).toContain('Settings → Environment Variables, for Production');
    }
    expect(vercelBuildPlan({ VERCEL_ENV: 'production', DATABASE_URL: 'mysql://x', ENCRYPTION_KEY: KEY })).toMatchObject({ ok: false, problems: ['DATABASE_URL must be a PostgreSQL URL (postgresql://… or postgres://…).'] });
  });

  it('requires a valid ENCRYPTION_KEY for production', () => {
    expect(vercelBuildPlan({ VERCEL_ENV: 'production', DATABASE_URL: POSTGRES })).toMatchObject({ ok: false, problems: [expect.stringContaining('ENCRYPTION_KEY is not set')] });
    expect(vercelBuildPlan({ VERCEL_ENV: 'production', DATABASE_URL: POSTGRES, ENCRYPTION_KEY: 'short' })).toMatchObject({ ok: false, problems: [expect.stringContaining('32 random bytes')] });
  });

  it('migrates a production deployment', () => {
    expect(vercelBuildPlan({ VERCEL_ENV: 'production', DATABASE_URL: POSTGRES, ENCRYPTION_KEY: KEY })).toMatchObject({ ok: true, migrate: true, migrationUrl: POSTGRES });
  });

  it('does not migrate a preview deployment, unless MIGRATE_PREVIEW=1 says its database is its own', () => {
    expect(vercelBuildPlan({ VERCEL_ENV: 'preview', DATABASE_URL: POSTGRES })).toMatchObject({ ok: true, migrate: false, reason: expect.stringContaining('set MIGRATE_PREVIEW=1') });
    expect(vercelBuildPlan({ VERCEL_ENV: 'preview', DATABASE_URL: POSTGRES, MIGRATE_PREVIEW: '1' })).toMatchObject({ ok: true, migrate: true });
    expect(vercelBuildPlan({ DATABASE_URL: POSTGRES })).toMatchObject({ ok: true, deployment: 'development', migrate: false });
  });

  it('migrates through DATABASE_URL_UNPOOLED when it is set (a pooler cannot hold the migration lock)', () => {
    const unpooled = 'postgresql://app:pw@db-direct.example.com:5432/notes';
    expect(vercelBuildPlan({ VERCEL_ENV: 'production', DATABASE_URL: POSTGRES, DATABASE_URL_UNPOOLED: unpooled, ENCRYPTION_KEY: KEY })).toMatchObject({ migrationUrl: unpooled });
  });

  it('names the database it migrates without its credentials', () => {
    expect(describeDatabase(`${POSTGRES}?schema=app`)).toBe('db.example.com:5432/notes (schema app)');
  });

  it('stops a Vercel build with SQLite at once, before building anything', async () => {
    const started = Date.now();
    const { code, stderr } = await build(vercelEnv({ VERCEL_ENV: 'production', DATABASE_URL: 'file:./.data/dev.db', ENCRYPTION_KEY: KEY }));
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot build the production deployment');
    expect(stderr).toContain('DATABASE_URL is a SQLite file: on Vercel the app needs PostgreSQL');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('says a preview build skips migrations (--dry-run touches nothing)', async () => {
    const { code, stdout } = await build(vercelEnv({ VERCEL_ENV: 'preview', DATABASE_URL: POSTGRES }), ['--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toContain('[vercel-build] Migrations: skipped: a preview deployment does not migrate');
    expect(stdout).not.toContain('s3cret-password');
  });
});

describe('a production build on the local PostgreSQL server', () => {
  const schema = `vercel_build_${Date.now().toString(36)}`;
  // With trust authentication the password is ignored: it is there to prove it is never printed.
  const url = withSchema(TEST_DATABASE_URL.replace('postgresql://postgres@', 'postgresql://postgres:not-printed-pw@'), schema);
  afterAll(() => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

  it('applies the migrations and builds the app into .next-vercel', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await build(vercelEnv({
      VERCEL_ENV: 'production',
      DATABASE_URL: url,
      ENCRYPTION_KEY: KEY,
      VERCEL_PROJECT_PRODUCTION_URL: 'connect-next-test.vercel.app',
      NEXT_DIST_DIR: '.next-vercel',
    }), [], 420_000);
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`vercel-build (migrate + next build) took ${seconds} s`);
    expect(code, `${stdout.slice(-3000)}\n${stderr.slice(-3000)}`).toBe(0);
    expect(stdout).toContain(`Migrations: applying to 127.0.0.1:5432/test (schema ${schema})`);
    expect(stdout).toMatch(/\[ui:build\] connect issue-notes: .* gzipped/);
    expect(`${stdout}${stderr}`).not.toContain('not-printed-pw');

    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT migration_name, finished_at FROM "${schema}"._prisma_migrations ORDER BY migration_name`);
      const committed = readdirSync(path.join(ROOT, 'prisma/postgres/migrations')).filter((d) => statSync(path.join(ROOT, 'prisma/postgres/migrations', d)).isDirectory());
      expect(rows.map((r) => r.migration_name)).toEqual(committed.sort());
      expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    } finally {
      await client.end();
    }

    const buildId = path.join(ROOT, '.next-vercel/BUILD_ID');
    expect(existsSync(buildId)).toBe(true);
    expect(statSync(buildId).mtimeMs).toBeGreaterThan(started);
    expect(readFileSync(buildId, 'utf8').trim()).not.toBe('');
  }, 450_000);
});
