/**
 * Joining a busy Forge-made site into its Connect tenant's site (lib/sites/store.ts `mergeSites`): 100,000 notes
 * and 100,000 webhook deliveries (1,000 of them also recorded on the tenant's site) moved in one transaction, on
 * SQLite and PostgreSQL (the server at TEST_DATABASE_URL). The join must fit the transaction bound
 * (DATABASE_TIMEOUTS.transactionMs, 8 s; on PostgreSQL each statement within statementMs, 5 s): if it did not,
 * the transaction manager or the server would cancel it and this fails.
 *
 *   npx vitest run --config bench/measure.config.mts bench/join-sites.measure.ts
 *
 * Prints one JSON line per database with `join_ms`, the join alone (seeding is set-based and not counted).
 * A measurement, not a timing assertion: the figures go to docs/reliability.md.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { DATABASE_TIMEOUTS } from '@/lib/db/database-url.mjs';
import { createSiteStore, type ForgeSiteClaims } from '@/lib/sites/store';
import { createTenantStore } from '@/lib/tenants/store';
import { createTestDatabase, DIALECTS, installPayload, keyRing, newKey, type TestDatabase } from '../test/helpers/db';

const ROWS = 100_000;
const SHARED_DELIVERIES = 1_000;

for (const dialect of DIALECTS) {
  it(`joins a site holding ${ROWS} notes and ${ROWS} deliveries in one transaction [${dialect}]`, async () => {
    const database = await createTestDatabase(dialect, 'measure-join');
    try {
      const { db } = database;
      const sites = createSiteStore(db);
      const cloudId = randomUUID();
      const claims: ForgeSiteClaims = { installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`, cloudId, siteUrl: `https://m-${cloudId.slice(0, 8)}.atlassian.net` };
      const { siteId: from } = await sites.resolveForgeInstallation(claims);
      const tenant = await createTenantStore(db, keyRing(newKey())).saveInstall(
        installPayload({ clientKey: `ck-${cloudId}`, baseUrl: claims.siteUrl, installationId: claims.installationId }),
        { iat: 1_000 },
      );
      await seed(database, from, tenant.siteId);
      const started = performance.now();
      const joined = await sites.resolveForgeInstallation(claims, { confirmPairing: async () => tenant.clientKey });
      const joinMs = Math.round(performance.now() - started);
      expect(joined.siteId).toBe(tenant.siteId);
      expect(await db.note.count({ where: { siteId: tenant.siteId } })).toBe(ROWS);
      expect(await db.webhookDelivery.count({ where: { siteId: tenant.siteId } })).toBe(ROWS);
      expect(await db.site.findUnique({ where: { id: from } })).toBeNull();
      console.log(JSON.stringify({ dialect, notes: ROWS, deliveries: ROWS, join_ms: joinMs, transaction_bound_ms: DATABASE_TIMEOUTS.transactionMs }));
    } finally {
      await database.dispose();
    }
  });
}

/** ROWS notes and ROWS deliveries on `from`; SHARED_DELIVERIES of those deliveries also on `into`. Set-based. */
async function seed({ db, dialect }: TestDatabase, from: string, into: string): Promise<void> {
  if (dialect === 'postgresql') {
    await db.$executeRawUnsafe(`INSERT INTO "Note" ("id","siteId","issueKey","authorAccountId","text") SELECT gen_random_uuid()::text, $1, 'NOTE-' || (i % 500), 'acc', 'note ' || i FROM generate_series(1, ${ROWS}) AS i`, from);
    await db.$executeRawUnsafe(`INSERT INTO "WebhookDelivery" ("siteId","webhookId","event") SELECT $1, 'w-' || i, 'e' FROM generate_series(1, ${ROWS}) AS i`, from);
    await db.$executeRawUnsafe(`INSERT INTO "WebhookDelivery" ("siteId","webhookId","event") SELECT $1, 'w-' || i, 'e' FROM generate_series(1, ${SHARED_DELIVERIES}) AS i`, into);
    return;
  }
  const series = (n: number) => `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})`;
  await db.$executeRawUnsafe(`${series(ROWS)} INSERT INTO "Note" ("id","siteId","issueKey","authorAccountId","text") SELECT lower(hex(randomblob(16))), ?, 'NOTE-' || (i % 500), 'acc', 'note ' || i FROM s`, from);
  await db.$executeRawUnsafe(`${series(ROWS)} INSERT INTO "WebhookDelivery" ("siteId","webhookId","event") SELECT ?, 'w-' || i, 'e' FROM s`, from);
  await db.$executeRawUnsafe(`${series(SHARED_DELIVERIES)} INSERT INTO "WebhookDelivery" ("siteId","webhookId","event") SELECT ?, 'w-' || i, 'e' FROM s`, into);
}
