/** The delivery log on SQLite and PostgreSQL: once-only effects and the retention purge. */
import { beforeEach, expect, it } from 'vitest';
import type { Tenant } from '@/lib/tenants/types';
import { WEBHOOK_DELIVERY_RETENTION_MS, createWebhookDeliveries, type WebhookDeliveries } from '@/lib/webhooks/deliveries';
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

  it('runs the effect and records the delivery in one transaction', async () => {
    const outcome = await deliveries.processOnce(key('w-1'), async (notes) => {
      await notes.create(a.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'from a webhook' });
    });
    expect(outcome).toBe('processed');
    expect(await t.db.note.count()).toBe(1);
    expect(await t.db.webhookDelivery.count()).toBe(1);
  });

  it('answers duplicate, without running the effect, for a recorded delivery', async () => {
    let runs = 0;
    const effect = async () => {
      runs++;
    };
    expect(await deliveries.processOnce(key('w-1'), effect)).toBe('processed');
    expect(await deliveries.processOnce(key('w-1'), effect)).toBe('duplicate');
    expect(runs).toBe(1);
  });

  it('rolls back both the effect and the record when the effect throws', async () => {
    const failing = deliveries.processOnce(key('w-1'), async (notes) => {
      await notes.create(a.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'half done' });
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count()).toBe(0);
  });

  it('does not mistake a unique violation inside the effect for a duplicate delivery', async () => {
    const violation = Object.assign(new Error('Unique constraint failed'), { code: 'P2002' });
    await expect(deliveries.processOnce(key('w-1'), async () => Promise.reject(violation))).rejects.toBe(violation);
    expect(await t.db.webhookDelivery.count()).toBe(0);
  });

  it('records a delivery with the time it was received, as the retention purge reads it', async () => {
    const before = Date.now();
    expect(await deliveries.processOnce(key('w-1'), async () => {})).toBe('processed');
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
