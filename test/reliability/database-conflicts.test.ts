/**
 * Transactions that lose to a concurrent one: a real deadlock (40P01) and a real serialization failure
 * (40001) on PostgreSQL. The losing transaction is rolled back, so the request answers 503 DATABASE_CONFLICT
 * with Retry-After (lib/db/errors.ts isTransactionConflict, lib/http/responses.ts), never a 500, and the
 * retry succeeds. Every route and the iframe pages answer errors through that one mapping, so the routes
 * below stand for all of them; the classifier is also checked on the errors each layer really throws.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb, type Db } from '@/lib/db/client';
import { isDatabaseUnavailable, isTransactionConflict } from '@/lib/db/errors';
import { errorResponse } from '@/lib/http/responses';
import { createNotesStore } from '@/lib/notes/store';
import { adminQuery, createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/db';
import { useForgeApp } from '../forge/helpers/remote-app';
import { backendFit, forgeCall, forgeSite, type ForgeSite } from '../forge/helpers/forge-door';
import { signingKey, startJwksServer, type JwksServer, type SigningKey } from '../forge/helpers/forge-platform';

let key: SigningKey;
let jwks: JwksServer;
let database: TestDatabase;
let schema: string;

beforeAll(async () => {
  key = await signingKey('forge-key-1');
  jwks = await startJwksServer([key.publicJwk]);
  database = await createTestDatabase('postgresql', 'conflicts');
  schema = new URL(database.url).searchParams.get('schema')!;
});
afterAll(async () => {
  await jwks.close();
  await database?.dispose();
});

/** A second session on the test schema, as another instance or a merge would hold one. */
async function session(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path="${schema}"` });
  await client.connect();
  return client;
}

/** Waits until a statement of `pattern` waits for a lock `holder` holds (the app's statement is blocked by it). */
async function untilBlocked(observer: pg.Client, holder: pg.Client, pattern: string): Promise<void> {
  const { rows: [{ pid }] } = await holder.query('SELECT pg_backend_pid() AS pid');
  await vi.waitFor(
    async () => {
      const { rows } = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE $2`, [pid, pattern]);
      expect(rows[0].n).toBeGreaterThan(0);
    },
    { timeout: 3_000, interval: 20 },
  );
}

async function useApp(databaseUrl: string) {
  return (await useForgeApp(databaseUrl, jwks.url)).events;
}

async function closeApp(): Promise<void> {
  const { getDb } = await import('@/lib/db/client');
  await getDb().$disconnect();
  vi.unstubAllEnvs();
}

const deleted = (issueId: string, issueKey: string) => ({ eventType: 'avi:jira:deleted:issue', issue: { id: issueId, key: issueKey } });

async function installedSite(events: Awaited<ReturnType<typeof useApp>>): Promise<{ site: ForgeSite; siteId: string }> {
  const site = forgeSite();
  const installed = await events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: { eventType: 'avi:forge:installed:app' } }));
  expect(installed.status).toBe(204);
  const { siteId } = await database.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } });
  return { site, siteId };
}

describe('a real deadlock (40P01) [postgresql]', () => {
  afterAll(closeApp);

  it('the event whose transaction PostgreSQL aborts answers 503 DATABASE_CONFLICT with Retry-After; nothing is kept; the retry applies it once', async () => {
    const events = await useApp(database.url);
    const { site, siteId } = await installedSite(events);
    await createNotesStore(database.db).create(siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: 'a', text: 'note' });
    const [other, observer] = [await session(), await session()];
    try {
      // The other session checks for deadlocks only after 10 s, so it is the app's transaction PostgreSQL aborts.
      await other.query(`SET deadlock_timeout = '10s'`);
      await other.query('BEGIN');
      await other.query(`UPDATE "Note" SET text = text WHERE "siteId" = $1 AND "issueKey" = 'NOTE-1'`, [siteId]);
      // The app records the delivery, then waits for the note's row lock...
      const answer = events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: deleted('10001', 'NOTE-1') }));
      await untilBlocked(observer, other, 'DELETE%');
      // ...while the other session waits for the app's delivery row: a cycle.
      const otherInsert = other.query(`INSERT INTO "WebhookDelivery" ("siteId", "webhookId", "event") VALUES ($1, 'avi:jira:deleted:issue/10001', 'x')`, [siteId]);
      const response = await answer;
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toMatchObject({ error: 'DATABASE_CONFLICT' });
      await otherInsert; // the app's transaction was rolled back, so the other one proceeds
      await other.query('ROLLBACK');
    } finally {
      await other.end();
      await observer.end();
    }
    expect(await database.db.webhookDelivery.count({ where: { siteId } })).toBe(0);
    expect(await database.db.note.count({ where: { siteId } })).toBe(1);
    const retry = await events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: deleted('10001', 'NOTE-1') }));
    expect(retry.status).toBe(204);
    expect(await database.db.note.count({ where: { siteId } })).toBe(0);
    expect(await database.db.webhookDelivery.count({ where: { siteId } })).toBe(1);
  }, 30_000);
});

describe('a real serialization failure (40001) [postgresql, the app’s sessions in REPEATABLE READ]', () => {
  // A database may run every transaction above READ COMMITTED (a server default, or one that is always
  // serializable); the app's own login role is set so here, as an operator would.
  const role = `t_rr_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    await adminQuery(`ALTER ROLE ${role} SET default_transaction_isolation TO 'repeatable read'`);
    await adminQuery(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await adminQuery(`GRANT ALL ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
  });
  afterAll(async () => {
    await closeApp();
    await adminQuery(`REVOKE ALL ON ALL TABLES IN SCHEMA "${schema}" FROM ${role}`);
    await adminQuery(`REVOKE USAGE ON SCHEMA "${schema}" FROM ${role}`);
    await adminQuery(`DROP ROLE ${role}`);
  });

  it('an event whose rows another transaction changed meanwhile answers 503 DATABASE_CONFLICT; the retry applies it once', async () => {
    const url = new URL(database.url);
    url.username = role;
    const events = await useApp(url.toString());
    const { site, siteId } = await installedSite(events);
    await createNotesStore(database.db).create(siteId, { issueKey: 'NOTE-2', projectKey: 'NOTE', authorAccountId: 'a', text: 'before' });
    const [other, observer] = [await session(), await session()];
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE "Note" SET text = 'changed meanwhile' WHERE "siteId" = $1 AND "issueKey" = 'NOTE-2'`, [siteId]);
      const answer = events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: deleted('10002', 'NOTE-2') }));
      await untilBlocked(observer, other, 'DELETE%');
      // The row the app's snapshot saw is changed and committed under it: "could not serialize access".
      await other.query('COMMIT');
      const response = await answer;
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toMatchObject({ error: 'DATABASE_CONFLICT' });
    } finally {
      await other.end();
      await observer.end();
    }
    expect(await database.db.webhookDelivery.count({ where: { siteId } })).toBe(0);
    const retry = await events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: deleted('10002', 'NOTE-2') }));
    expect(retry.status).toBe(204);
    expect(await database.db.note.count({ where: { siteId } })).toBe(0);
  }, 30_000);
});

describe('isTransactionConflict on the errors each layer really throws [postgresql]', () => {
  let db: Db;
  beforeAll(() => {
    db = createDb(database.url);
  });
  afterAll(() => db.$disconnect());

  /** Two sessions update two rows in opposite orders; returns what the loser threw. */
  async function deadlock(loser: (first: string, second: string) => Promise<unknown>): Promise<unknown> {
    const { id: siteId } = await database.db.site.create({ data: { id: `site-${randomBytes(4).toString('hex')}` } });
    const notes = createNotesStore(database.db);
    const [a, b] = [await notes.create(siteId, { issueKey: 'D-1', projectKey: 'D', authorAccountId: 'a', text: 'a' }), await notes.create(siteId, { issueKey: 'D-2', projectKey: 'D', authorAccountId: 'a', text: 'b' })];
    const [other, observer] = [await session(), await session()];
    try {
      await other.query(`SET deadlock_timeout = '10s'`);
      await other.query('BEGIN');
      await other.query(`UPDATE "Note" SET text = text WHERE id = $1`, [b.id]);
      const lost = loser(a.id, b.id).then(() => undefined, (err: unknown) => err);
      await untilBlocked(observer, other, 'UPDATE%');
      const otherSecond = other.query(`UPDATE "Note" SET text = text WHERE id = $1`, [a.id]);
      const err = await lost;
      await otherSecond;
      await other.query('ROLLBACK');
      return err;
    } finally {
      await other.end();
      await observer.end();
    }
  }

  it('Prisma’s interactive transaction (P2034), a raw statement (P2010) and pg itself (40P01) are conflicts, answered 503 DATABASE_CONFLICT', async () => {
    const viaPrisma = await deadlock((first, second) =>
      db.$transaction(async (tx) => {
        await tx.note.update({ where: { id: first }, data: { text: 'a' } });
        await tx.note.update({ where: { id: second }, data: { text: 'b' } });
      }),
    );
    const viaRaw = await deadlock((first, second) =>
      db.$transaction(async (tx) => {
        await tx.$executeRaw`UPDATE "Note" SET text = text WHERE id = ${first}`;
        await tx.$executeRaw`UPDATE "Note" SET text = text WHERE id = ${second}`;
      }),
    );
    const viaPg = await deadlock(async (first, second) => {
      const client = await session();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE "Note" SET text = text WHERE id = $1`, [first]);
        await client.query(`UPDATE "Note" SET text = text WHERE id = $1`, [second]);
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end();
      }
    });
    expect([viaPrisma, viaRaw, viaPg].map((e) => (e as { code?: string } | undefined)?.code)).toEqual(['P2034', 'P2010', '40P01']);
    for (const err of [viaPrisma, viaRaw, viaPg]) {
      expect(isTransactionConflict(err)).toBe(true);
      expect(isDatabaseUnavailable(err)).toBe(false);
      const response = errorResponse(err);
      expect([response.status, response.headers.get('retry-after'), ((await response.json()) as { error: string }).error]).toEqual([503, '5', 'DATABASE_CONFLICT']);
    }
  }, 30_000);

  it('a serialization failure under REPEATABLE READ (P2034, 40001) is a conflict; a unique violation or a syntax error is not', async () => {
    const site = await database.db.site.create({ data: { id: `site-${randomBytes(4).toString('hex')}` } });
    const note = await createNotesStore(database.db).create(site.id, { issueKey: 'S-1', projectKey: 'S', authorAccountId: 'a', text: 'a' });
    const serialization = await db
      .$transaction(async (tx) => {
        // The portable client type offers only Serializable; PostgreSQL takes the level as the first statement.
        await tx.$executeRawUnsafe('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await tx.note.findMany({ where: { siteId: site.id } }); // the snapshot
        await database.db.note.update({ where: { id: note.id }, data: { text: 'changed meanwhile' } });
        await tx.note.update({ where: { id: note.id }, data: { text: 'too late' } });
      })
      .then(() => undefined, (err: unknown) => err);
    expect((serialization as { code?: string }).code).toBe('P2034');
    expect(isTransactionConflict(serialization)).toBe(true);
    expect(errorResponse(serialization).status).toBe(503);

    const unique = await database.db.site.create({ data: { id: site.id } }).then(() => undefined, (err: unknown) => err);
    const syntax = await db.$executeRawUnsafe('SELEC 1').then(() => undefined, (err: unknown) => err);
    for (const err of [unique, syntax, new TypeError('x is not a function')]) expect(isTransactionConflict(err)).toBe(false);
  }, 30_000);
});
