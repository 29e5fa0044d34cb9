/**
 * CPU per webhook delivery by transaction shape (lib/webhooks/deliveries.ts), on SQLite and PostgreSQL (the
 * server at TEST_DATABASE_URL): a delivery recorded and an issue's notes deleted, each with a fresh identifier,
 * as the bench's `webhook` target does, in this process alone (no HTTP, no Next).
 *
 *   npx vitest run --config bench/measure.config.mts bench/webhook-tx.measure.ts
 *
 * Shapes: `processOnce` as shipped for a Connect webhook (a batch transaction, `$transaction([...])`, of two
 * plain SQL statements) and for a Forge event (with a deadline: an interactive transaction of the same
 * statements, which a deadline can stop before COMMIT); an interactive transaction with Prisma's model queries
 * (`create` + `deleteMany`, the shape before both); and the batch with model queries and with plain SQL by hand
 * (docs/performance.md, section 3).
 * Prints one JSON line per database: µs of process CPU per delivery, the median of ROUNDS rounds of N.
 * A measurement, not a timing assertion.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Db } from '@/lib/db/client';
import { createTenantStore } from '@/lib/tenants/store';
import { withDeadline } from '@/lib/deadline';
import { FORGE_EVENT_DEADLINE_MS } from '@/lib/forge/events';
import { createWebhookDeliveries, type WebhookEffect } from '@/lib/webhooks/deliveries';
import { createTestDatabase, DIALECTS, installPayload, keyRing, newKey } from '../test/helpers/db';

const N = 1_000;
const ROUNDS = 5;
const ISSUE = 'BENCH-99';

for (const dialect of DIALECTS) {
  it(`CPU per delivery by transaction shape [${dialect}]`, async () => {
    const database = await createTestDatabase(dialect, 'measure-webhook-tx');
    try {
      const db: Db = database.db;
      const { siteId } = await createTenantStore(db, keyRing(newKey())).saveInstall(installPayload(), { iat: 1 });
      const deliveries = createWebhookDeliveries(db);
      const insert = () => db.$executeRaw`INSERT INTO "WebhookDelivery" ("siteId", "webhookId", "event", "receivedAt") VALUES (${siteId}, ${randomUUID()}, 'e', ${new Date()})`;
      const remove = () => db.$executeRaw`DELETE FROM "Note" WHERE "siteId" = ${siteId} AND "issueKey" = ${ISSUE}`;
      const effect: WebhookEffect = (notes, site) => [notes.deleteForIssue(site, ISSUE)];
      const shapes: Record<string, () => Promise<unknown>> = {
        processOnce: () => deliveries.processOnce({ siteId, webhookId: randomUUID(), event: 'jira:issue_deleted' }, effect),
        processOnceWithDeadline: () => withDeadline(FORGE_EVENT_DEADLINE_MS, (deadline) => deliveries.processOnce({ siteId, webhookId: randomUUID(), event: 'avi:jira:deleted:issue' }, effect, { deadline })),
        interactiveModelQueries: () =>
          db.$transaction(async (tx) => {
            await tx.webhookDelivery.create({ data: { siteId, webhookId: randomUUID(), event: 'e' } });
            await tx.note.deleteMany({ where: { siteId, issueKey: ISSUE } });
          }),
        batchModelQueries: () => db.$transaction([db.webhookDelivery.create({ data: { siteId, webhookId: randomUUID(), event: 'e' } }), db.note.deleteMany({ where: { siteId, issueKey: ISSUE } })]),
        batchPlainSql: () => db.$transaction([insert(), remove()]),
      };
      const rounds: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, run] of Object.entries(shapes)) {
          for (let i = 0; i < 100; i++) await run(); // warm
          const start = process.cpuUsage();
          for (let i = 0; i < N; i++) await run();
          const used = process.cpuUsage(start);
          (rounds[name] ??= []).push((used.user + used.system) / N);
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      console.log(JSON.stringify({ dialect, cpuMicrosPerDelivery: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, Math.round(median(v))])) }));
      expect(await db.webhookDelivery.count()).toBe(ROUNDS * 1_100 * Object.keys(shapes).length);
    } finally {
      await database.dispose();
    }
  }, 600_000);
}
