/**
 * Forge events at the remote (lib/forge/events.ts), on SQLite and PostgreSQL: lifecycle events are upserts,
 * product events have exactly the effects of the Connect webhooks, once, recorded in the same transaction,
 * under redelivery and under concurrent redelivery from several app instances; refused events change nothing.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createDb } from '@/lib/db/client';
import { withDeadline } from '@/lib/deadline';
import { FORGE_EVENT_DEADLINE_MS, receiveForgeEvent, receiveForgeUninstall, type ForgeEventDeps } from '@/lib/forge/events';
import { createForgeKeySet, type ForgeKeySet } from '@/lib/forge/invocation-token';
import { handle } from '@/lib/http/responses';
import { createNotesStore, type NotesStore } from '@/lib/notes/store';
import { createSiteStore } from '@/lib/sites/store';
import { createWebhookDeliveries } from '@/lib/webhooks/deliveries';
import type { Db } from '@/lib/db/client';
import { afterHold, forEachDatabase } from '../helpers/db';
import { ALICE } from '../notes/helpers';
import { APP_ID, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';
import { backendFit, forgeCall, forgedFits, forgeSite, UNINSTALL_ENDPOINT, type ForgeSite } from './helpers/forge-door';

let key: SigningKey;
let stranger: SigningKey;
let jwks: JwksServer;
let keys: ForgeKeySet;

beforeAll(async () => {
  [key, stranger] = [await signingKey('forge-key-1'), await signingKey('not-published')];
  jwks = await startJwksServer([key.publicJwk]);
  keys = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0 });
});
afterAll(() => jwks.close());

const nowS = () => Math.floor(Date.now() / 1000);

forEachDatabase('Forge events', (t) => {
  let notes: NotesStore;
  beforeEach(() => {
    notes = createNotesStore(t.db);
  });

  const deps = (db: Db = t.db): ForgeEventDeps => ({ verify: { appId: APP_ID, keys }, sites: createSiteStore(db), deliveries: createWebhookDeliveries(db) });
  /** An event as Forge sends it: the events endpoint's FIT (no principal, no context), the payload with its eventType. */
  const event = async (site: ForgeSite, body: Record<string, unknown>, options: { iat?: number; db?: Db; token?: string } = {}) => {
    const fit = options.token ?? (await backendFit(key, site, { iat: options.iat }));
    // With Forge's deadline, as the route runs it.
    return handle(() =>
      withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) => {
        await receiveForgeEvent(forgeCall('/api/forge/events', fit, { body }), { ...deps(options.db), deadline });
        return new Response(null, { status: 204 });
      }),
    );
  };
  const uninstall = async (site: ForgeSite, iat?: number) => {
    const fit = await backendFit(key, site, { module: UNINSTALL_ENDPOINT, iat });
    return handle(async () => {
      await receiveForgeUninstall(forgeCall('/api/forge/uninstall', fit, { body: { eventType: 'avi:forge:uninstalled:app' } }), deps());
      return new Response(null, { status: 204 });
    });
  };
  const installed = (site: ForgeSite) => ({ eventType: 'avi:forge:installed:app', id: site.installationId, installerAccountId: ALICE, app: { id: APP_ID, version: '1.0.0' }, context: { cloudId: site.cloudId } });
  const deleted = (issueId: string, issueKey: string) => ({ eventType: 'avi:jira:deleted:issue', issue: { id: issueId, key: issueKey, fields: { summary: 'x' } }, atlassianId: ALICE });
  const updated = (changelogId: string, items: unknown[], issueKey = 'NOTE-7') => ({ eventType: 'avi:jira:updated:issue', issue: { id: '10007', key: issueKey }, changelog: { id: changelogId, items } });
  const keyChange = (from: string, to: string) => ({ field: 'Key', fieldtype: 'jira', fromString: from, toString: to });
  const siteOf = async (site: ForgeSite) => (await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } })).siteId;
  const note = async (siteId: string, issueKey: string, text = issueKey) => notes.create(siteId, { issueKey, projectKey: issueKey.split('-')[0], authorAccountId: ALICE, text });
  const snapshot = async () => ({
    sites: await t.db.site.count(),
    installations: await t.db.forgeInstallation.findMany({ orderBy: { installationId: 'asc' } }),
    notes: await t.db.note.findMany({ orderBy: { id: 'asc' } }),
    deliveries: await t.db.webhookDelivery.count(),
  });

  it('avi:forge:installed:app records the installation; a redelivery changes nothing', async () => {
    const site = forgeSite();
    expect((await event(site, installed(site))).status).toBe(204);
    const first = await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } });
    // The site comes from app.apiBaseUrl: an event's FIT has no context, so no site URL.
    expect(first).toMatchObject({ cloudId: site.cloudId, state: 'installed', environmentType: 'DEVELOPMENT', appVersion: '16.0.1' });
    expect((await event(site, installed(site))).status).toBe(204);
    expect(await t.db.forgeInstallation.count()).toBe(1);
    expect(await t.db.site.count()).toBe(1);
  });

  it('avi:forge:upgraded:app records the version; an older event delivered late does not roll it back', async () => {
    const site = forgeSite();
    await event(site, installed(site), { iat: nowS() - 10 });
    const upgradedAt = nowS();
    await event(site, { eventType: 'avi:forge:upgraded:app' }, { iat: upgradedAt });
    const row = await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } });
    expect(row.upgradedAt).toBeInstanceOf(Date);
    expect(row.lastLifecycleIat).toBe(upgradedAt);
    expect((await event(site, installed(site), { iat: upgradedAt - 5 })).status).toBe(204); // a late retry
    expect((await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } })).lastLifecycleIat).toBe(upgradedAt);
  });

  it('preUninstall marks the installation uninstalled (data kept); a redelivered installed does not revive it', async () => {
    const site = forgeSite();
    await event(site, installed(site), { iat: nowS() - 5 });
    await note(await siteOf(site), 'NOTE-1');
    expect((await uninstall(site)).status).toBe(204);
    expect((await uninstall(site)).status).toBe(204);
    expect(await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } })).toMatchObject({ state: 'uninstalled' });
    expect((await event(site, installed(site))).status).toBe(204);
    expect(await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } })).toMatchObject({ state: 'uninstalled' });
    expect(await t.db.note.count()).toBe(1);
    // An uninstall of an installation never seen records nothing.
    expect((await uninstall(forgeSite())).status).toBe(204);
    expect(await t.db.forgeInstallation.count()).toBe(1);
  });

  it('avi:jira:deleted:issue deletes the issue’s notes in this site only, once per issue.id', async () => {
    const site = forgeSite();
    const other = forgeSite();
    await event(site, installed(site));
    await event(other, installed(other));
    await note(await siteOf(site), 'NOTE-1', 'a');
    await note(await siteOf(site), 'NOTE-2', 'b');
    await note(await siteOf(other), 'NOTE-1', 'c');
    expect((await event(site, deleted('10001', 'NOTE-1'))).status).toBe(204);
    expect((await notes.listRecent(await siteOf(site))).map((n) => n.text)).toEqual(['b']);
    expect((await notes.listRecent(await siteOf(other))).map((n) => n.text)).toEqual(['c']);
    expect(await t.db.webhookDelivery.findMany({ select: { siteId: true, webhookId: true, event: true } })).toEqual([
      { siteId: await siteOf(site), webhookId: 'avi:jira:deleted:issue/10001', event: 'avi:jira:deleted:issue' },
    ]);
    // A note written after the deletion under a reused key is not touched by a redelivery.
    await note(await siteOf(site), 'NOTE-1', 'new');
    expect((await event(site, deleted('10001', 'NOTE-1'))).status).toBe(204);
    expect((await notes.listRecent(await siteOf(site))).map((n) => n.text).sort()).toEqual(['b', 'new']);
  });

  it('avi:jira:updated:issue moves notes on a key change, once per changelog.id; other updates write nothing', async () => {
    const site = forgeSite();
    await event(site, installed(site));
    const siteId = await siteOf(site);
    await note(siteId, 'NOTE-7', 'moves');
    expect((await event(site, updated('20001', [{ field: 'summary', fromString: 'a', toString: 'b' }]))).status).toBe(204);
    expect(await t.db.webhookDelivery.count()).toBe(0);
    expect((await event(site, updated('20002', [keyChange('NOTE-7', 'OPS-31')]))).status).toBe(204);
    expect(await notes.listForIssue(siteId, 'OPS-31')).toMatchObject([{ text: 'moves', projectKey: 'OPS' }]);
    // Moved back later; then the first move is redelivered: it must not move the notes again.
    await event(site, updated('20003', [keyChange('OPS-31', 'NOTE-7')], 'OPS-31'));
    await event(site, updated('20002', [keyChange('NOTE-7', 'OPS-31')]));
    expect(await notes.listForIssue(siteId, 'NOTE-7')).toMatchObject([{ text: 'moves' }]);
  });

  it('the same effects as the Connect webhooks on a site that has both doors', async () => {
    const site = forgeSite();
    await event(site, installed(site));
    const siteId = await siteOf(site);
    await note(siteId, 'NOTE-1');
    // The Connect webhook of the same deletion already ran (its own delivery id): the Forge event is harmless.
    await createWebhookDeliveries(t.db).processOnce({ siteId, webhookId: 'connect-webhook-1', event: 'jira:issue_deleted' }, (n, s) => [n.deleteForIssue(s, 'NOTE-1')]);
    expect((await event(site, deleted('10001', 'NOTE-1'))).status).toBe(204);
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count()).toBe(2);
  });

  it('concurrent redelivery from several app instances applies the event exactly once', async () => {
    const site = forgeSite();
    await event(site, installed(site));
    const siteId = await siteOf(site);
    const others = [createDb(t.url), createDb(t.url)];
    const COPIES = 6;
    try {
      for (let round = 1; round <= 3; round++) {
        await note(siteId, `NOTE-${round}`);
        let entered = 0;
        const overlaps: number[] = [];
        const fits = await Promise.all(Array.from({ length: COPIES }, () => backendFit(key, site)));
        const responses = await Promise.all(
          fits.map((fit, i) => {
            const d = deps(i % 3 === 0 ? t.db : others[(i % 3) - 1]);
            const deliveries = {
              ...d.deliveries,
              processOnce: (...[key, effect, options]: Parameters<typeof d.deliveries.processOnce>) => {
                entered++;
                return d.deliveries.processOnce(
                  key,
                  (n, s) => {
                    const [first, ...rest] = effect(n, s);
                    // On PostgreSQL, hold the first transaction open (its delivery row inserted, not committed)
                    // until every copy has started its own: they overlap for real and wait on the unique key.
                    // (SQLite serialises writers on one file lock, so there the copies simply queue.)
                    const hold = async () => {
                      if (t.dialect === 'postgresql') {
                        const until = Date.now() + 3000;
                        while (entered < COPIES && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
                        await new Promise((r) => setTimeout(r, 100));
                      }
                      overlaps.push(entered);
                    };
                    return [afterHold(hold, () => first!), ...rest];
                  },
                  options,
                );
              },
            };
            return handle(() =>
              withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) => {
                await receiveForgeEvent(forgeCall('/api/forge/events', fit, { body: deleted(`3000${round}`, `NOTE-${round}`) }), { ...d, deliveries, deadline });
                return new Response(null, { status: 204 });
              }),
            );
          }),
        );
        expect(responses.map((r) => r.status)).toEqual(Array(COPIES).fill(204));
        // The effect ran once, and (PostgreSQL) while all copies were in flight.
        expect(overlaps).toHaveLength(1);
        if (t.dialect === 'postgresql') expect(overlaps[0]).toBe(COPIES);
        expect(await t.db.webhookDelivery.count({ where: { webhookId: `avi:jira:deleted:issue/3000${round}` } })).toBe(1);
        expect(await notes.listForIssue(siteId, `NOTE-${round}`)).toEqual([]);
      }
    } finally {
      await Promise.all(others.map((db) => db.$disconnect()));
    }
  });

  it('refuses forged FITs, unknown event types and malformed payloads without storing anything', async () => {
    const site = forgeSite();
    await event(site, installed(site));
    await note(await siteOf(site), 'NOTE-1');
    const before = await snapshot();
    for (const forged of await forgedFits(key, stranger, site)) {
      const response = await event(site, deleted('1', 'NOTE-1'), { token: forged.token });
      expect([forged.name, response.status]).toEqual([forged.name, forged.status]);
    }
    for (const forged of await forgedFits(key, stranger, forgeSite())) {
      expect((await event(site, installed(site), { token: forged.token })).status).toBe(forged.status);
    }
    const fresh = forgeSite();
    for (const body of [deleted('1', 'not a key'), { ...deleted('1', 'NOTE-1'), issue: { key: 'NOTE-1' } }, updated('', [keyChange('NOTE-1', 'OPS-1')])]) {
      expect((await event(fresh, body)).status).toBe(400);
    }
    // An event type no trigger in forge/manifest.yml sends here (lib/forge/route-rules.ts).
    const unrouted = await event(fresh, { eventType: 'avi:jira:created:issue', issue: { id: '1', key: 'NOTE-1' } });
    expect(unrouted.status).toBe(403);
    expect(await unrouted.json()).toMatchObject({ error: 'FORGE_MODULE_NOT_ALLOWED' });
    jwks.fail(503);
    const down = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0, timeoutMs: 500 });
    const response = await handle(async () => {
      await receiveForgeEvent(forgeCall('/api/forge/events', await backendFit(key, fresh), { body: deleted('1', 'NOTE-1') }), { ...deps(), verify: { appId: APP_ID, keys: down } });
      return new Response(null, { status: 204 });
    });
    jwks.fail(undefined);
    expect(response.status).toBe(503);
    expect(await snapshot()).toEqual(before);
  });
});
