/** The delivery log on SQLite and PostgreSQL: once-only effects and the retention purge. */
import { beforeEach, expect, it } from 'vitest';
import type { Tenant } from '@/lib/tenants/types';
import { isForeignKeyError, isUniqueConstraintError } from '@/lib/db/client';
import { createNotesStore } from '@/lib/notes/store';
import { WEBHOOK_DELIVERY_RETENTION_MS, createWebhookDeliveries, type WebhookDeliveries, type WebhookEffect } from '@/lib/webhooks/deliveries';
import { forEachDatabase, type DatabaseContext } from '../helpers/db';
import { ALICE, installTenant } from '../notes/helpers';

const DAY = 86_400_000;

forEachDatabase('webhook deliveries', (t: DatabaseContext) => {
  let deliveries: WebhookDeliveries;
  let a: Tenant;

  beforeEach(async () => {
    deliveries = createWebhookDeliveries(t.db);
    a = await installTenant(t);
  });

  const key = (webhookId: string | undefined) => ({ siteId: a.siteId, webhookId, event: 'jira:issue_deleted' });

  const note = (issueKey: string, text = 'n') => createNotesStore(t.db).create(a.siteId, { issueKey, projectKey: 'NOTE', authorAccountId: ALICE, text });
  const deleteNote1: WebhookEffect = (notes, siteId) => [notes.deleteForIssue(siteId, 'NOTE-1')];

  it('runs the effect and records the delivery in one transaction', async () => {
    await note('NOTE-1');
    expect(await deliveries.processOnce(key('w-1'), deleteNote1)).toBe('processed');
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count()).toBe(1);
  });

  it('answers duplicate, without applying the effect again, for a recorded delivery', async () => {
    await note('NOTE-1', 'before');
    expect(await deliveries.processOnce(key('w-1'), deleteNote1)).toBe('processed');
    await note('NOTE-1', 'written after the delivery');
    expect(await deliveries.processOnce(key('w-1'), deleteNote1)).toBe('duplicate');
    expect((await t.db.note.findMany()).map((n) => n.text)).toEqual(['written after the delivery']);
  });

  it('rolls back both the effect and the record when a statement of the effect fails', async () => {
    await note('NOTE-1');
    // A real failure after the effect's first statement: a delivery row for a site that does not exist.
    const failing: WebhookEffect = (notes, siteId) => [notes.deleteForIssue(siteId, 'NOTE-1'), t.db.$executeRaw`INSERT INTO "WebhookDelivery" ("siteId", "webhookId", "event", "receivedAt") VALUES (${'no-such-site'}, ${'x'}, ${'e'}, ${new Date()})`];
    await expect(deliveries.processOnce(key('w-1'), failing)).rejects.toSatisfy(isForeignKeyError);
    expect(await t.db.note.count()).toBe(1);
    expect(await t.db.webhookDelivery.count()).toBe(0);
  });

  it('does not mistake a unique violation inside the effect for a duplicate delivery', async () => {
    await deliveries.processOnce(key('w-0'), () => []);
    // The effect's own statement hits the unique key (the delivery w-0 exists): an error, not 'duplicate'.
    const violating: WebhookEffect = (_notes, siteId) => [t.db.$executeRaw`INSERT INTO "WebhookDelivery" ("siteId", "webhookId", "event", "receivedAt") VALUES (${siteId}, ${'w-0'}, ${'e'}, ${new Date()})`];
    await expect(deliveries.processOnce(key('w-1'), violating)).rejects.toSatisfy(isUniqueConstraintError);
    expect((await t.db.webhookDelivery.findMany()).map((d) => d.webhookId)).toEqual(['w-0']);
  });

  it('records nothing when the effect throws before any statement runs', async () => {
    await expect(deliveries.processOnce(key('w-1'), () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await t.db.webhookDelivery.count()).toBe(0);
  });

  it('runs the effect, unrecorded, for a delivery without an identifier', async () => {
    await note('NOTE-1');
    expect(await deliveries.processOnce(key(undefined), deleteNote1)).toBe('processed');
    await note('NOTE-1');
    expect(await deliveries.processOnce(key(undefined), deleteNote1)).toBe('processed');
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count()).toBe(0);
  });

  it('records a delivery with the time it was received, as the retention purge reads it', async () => {
    const before = Date.now();
    expect(await deliveries.processOnce(key('w-1'), () => [])).toBe('processed');
    const after = Date.now();
    const [row] = await t.db.webhookDelivery.findMany();
    expect(row).toMatchObject({ siteId: a.siteId, webhookId: 'w-1', event: 'jira:issue_deleted' });
    expect(row!.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(row!.receivedAt.getTime()).toBeLessThanOrEqual(after);
    // One millisecond after it was received it is older than the cut-off; at its own time it is not.
    expect(await deliveries.purge(row!.receivedAt)).toBe(0);
    expect(await deliveries.purge(new Date(row!.receivedAt.getTime() + 1))).toBe(1);
  });

  it('keeps deliveries a week, and purges older ones', async () => {
    const now = Date.now();
    await t.db.webhookDelivery.createMany({
      data: [
        { siteId: a.siteId, webhookId: 'old', event: 'e', receivedAt: new Date(now - 8 * DAY) },
        { siteId: a.siteId, webhookId: 'recent', event: 'e', receivedAt: new Date(now - 6 * DAY) },
        { siteId: a.siteId, webhookId: 'today', event: 'e', receivedAt: new Date(now) },
      ],
    });
    expect(WEBHOOK_DELIVERY_RETENTION_MS).toBe(7 * DAY);
    expect(await deliveries.purge(new Date(now - WEBHOOK_DELIVERY_RETENTION_MS))).toBe(1);
    expect((await t.db.webhookDelivery.findMany({ orderBy: { webhookId: 'asc' } })).map((d) => d.webhookId)).toEqual(['recent', 'today']);
  });
});
