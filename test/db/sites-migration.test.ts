/**
 * The migration that made Site the partition key of app data (20261201224730_sites_partition_app_data) keeps
 * every row: a database holding notes and webhook deliveries under the old clientKey columns is migrated, and
 * every note still belongs to its site (Site.id = the old clientKey), on both databases.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, isForeignKeyError, type Db } from '@/lib/db/client';
import { applyMigrations } from '@/scripts/db/migrations.mjs';
import { migrationsPath } from '@/scripts/db/schemas.mjs';
import { adminQuery, DIALECTS, TEST_DATABASE_URL, withSchema, type Dialect } from '@/test/helpers/db';

const SITES_MIGRATION = '20261201224730_sites_partition_app_data';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A database migrated only up to the migration before Site existed. */
async function preSitesDatabase(dialect: Dialect): Promise<{ url: string; db: Db; dir: string }> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'connect-next-sites-'));
  cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
  const dir = path.join(tmp, 'migrations');
  cpSync(migrationsPath(dialect), dir, { recursive: true });
  const before = path.join(tmp, 'before');
  // The database as it was before the Site migration: every migration older than it (later ones build on Site).
  cpSync(dir, before, { recursive: true, filter: (src) => {
    const folder = /[/\\](\d{14})_[^/\\]*$/.exec(src);
    return !folder || folder[1] < SITES_MIGRATION.slice(0, 14);
  } });
  let url: string;
  if (dialect === 'sqlite') {
    url = `file:${path.join(tmp, 'old.db')}`;
  } else {
    const schema = `t_sites_migration_${Math.random().toString(16).slice(2, 10)}`;
    await adminQuery(`CREATE SCHEMA "${schema}"`);
    cleanups.push(() => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    url = withSchema(TEST_DATABASE_URL, schema);
  }
  await applyMigrations(url, { migrationsDir: before });
  const db = createDb(url);
  cleanups.push(() => db.$disconnect());
  return { url, db, dir };
}

describe.each(DIALECTS)('the Site migration keeps existing data [%s]', (dialect) => {
  it('gives every tenant a site with its clientKey as id, and every note and delivery stays with its site', async () => {
    const { url, db, dir } = await preSitesDatabase(dialect);
    const now = dialect === 'sqlite' ? `'2026-11-30 10:00:00'` : `NOW()`;
    // Placeholders: `?` for better-sqlite3, `$n` for pg.
    const p = (n: number) => (dialect === 'sqlite' ? '?' : `$${n}`);
    for (const clientKey of ['client-a', 'client-b']) {
      await db.$executeRawUnsafe(
        `INSERT INTO "Tenant" ("clientKey","key","baseUrl","productType","description","sharedSecret","state","installedAt","updatedAt") VALUES (${p(1)},'k',${p(2)},'jira','d','sealed','enabled',${now},${now})`,
        clientKey,
        `https://${clientKey}.atlassian.net`,
      );
    }
    const notes = [
      ['n1', 'client-a', 'NOTE-1'],
      ['n2', 'client-a', 'NOTE-2'],
      ['n3', 'client-b', 'NOTE-1'],
    ];
    for (const [id, clientKey, issueKey] of notes) {
      await db.$executeRawUnsafe(`INSERT INTO "Note" ("id","clientKey","issueKey","authorAccountId","text") VALUES (${p(1)},${p(2)},${p(3)},'acc',${p(4)})`, id, clientKey, issueKey, `text of ${id}`);
    }
    await db.$executeRawUnsafe(`INSERT INTO "WebhookDelivery" ("clientKey","webhookId","event") VALUES ('client-b','wh-1','jira:issue_deleted')`);

    const { applied } = await applyMigrations(url, { migrationsDir: dir });
    expect(applied).toContain(SITES_MIGRATION);

    expect((await db.site.findMany({ orderBy: { id: 'asc' } })).map((s) => [s.id, s.cloudId])).toEqual([
      ['client-a', null],
      ['client-b', null],
    ]);
    expect(await db.tenant.findMany({ select: { clientKey: true, siteId: true, installationId: true, state: true }, orderBy: { clientKey: 'asc' } })).toEqual([
      { clientKey: 'client-a', siteId: 'client-a', installationId: null, state: 'enabled' },
      { clientKey: 'client-b', siteId: 'client-b', installationId: null, state: 'enabled' },
    ]);
    const migrated = await db.note.findMany({ select: { id: true, siteId: true, issueKey: true, text: true }, orderBy: { id: 'asc' } });
    expect(migrated).toEqual(notes.map(([id, siteId, issueKey]) => ({ id, siteId, issueKey, text: `text of ${id}` })));
    expect(await db.webhookDelivery.findMany({ select: { siteId: true, webhookId: true } })).toEqual([{ siteId: 'client-b', webhookId: 'wh-1' }]);
    // The foreign keys hold: a site is deleted only once its notes are (RESTRICT, since sites_restrict_data).
    await db.tenant.delete({ where: { clientKey: 'client-a' } });
    await expect(db.site.delete({ where: { id: 'client-a' } })).rejects.toSatisfy(isForeignKeyError);
    await db.note.deleteMany({ where: { siteId: 'client-a' } });
    await db.site.delete({ where: { id: 'client-a' } });
    expect((await db.note.findMany({ select: { id: true } })).map((n) => n.id)).toEqual(['n3']);
  });
});
