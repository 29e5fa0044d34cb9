/**
 * Joining a Forge-made site into its Connect tenant's site (lib/sites/store.ts), on SQLite and PostgreSQL:
 * it happens only on Atlassian's word, it loses nothing written during it, and a writer still holding the
 * old siteId fails visibly (503 SITE_MOVED) instead of being acknowledged and then removed.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { createDb } from '@/lib/db/client';
import { withDeadline } from '@/lib/deadline';
import { FORGE_EVENT_DEADLINE_MS } from '@/lib/forge/events';
import { errorResponse, handle } from '@/lib/http/responses';
import { createNote } from '@/lib/notes/api';
import { createNotesStore } from '@/lib/notes/store';
import { createSiteStore, type ConfirmPairing, type ForgeSiteClaims, type SiteStore } from '@/lib/sites/store';
import type { Tenant } from '@/lib/tenants/types';
import { createWebhookDeliveries } from '@/lib/webhooks/deliveries';
import { afterHold, forEachDatabase, installPayload, TEST_DATABASE_URL, type DatabaseContext } from '../helpers/db';

const ALICE = '557058:alice';

/** A Connect tenant naming Forge installation `claims`, and that installation on a site of its own (Forge first). */
async function apart(t: DatabaseContext, sites: SiteStore, claims: ForgeSiteClaims = forgeClaims()): Promise<{ tenant: Tenant; claims: ForgeSiteClaims; forgeSiteId: string }> {
  const { siteId: forgeSiteId } = await sites.resolveForgeInstallation(claims);
  const tenant = await t.store.saveInstall(installPayload({ clientKey: `ck-${claims.cloudId}`, baseUrl: claims.siteUrl, installationId: claims.installationId }), {
    iat: 1_000,
    beforeWrite: (tx) => sites.assertLinkable(tx, { clientKey: `ck-${claims.cloudId}`, baseUrl: claims.siteUrl!, installationId: claims.installationId }),
  });
  expect(tenant.siteId).not.toBe(forgeSiteId);
  return { tenant, claims, forgeSiteId };
}

function forgeClaims(overrides: Partial<ForgeSiteClaims> = {}): ForgeSiteClaims {
  const cloudId = randomUUID();
  return { installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`, cloudId, siteUrl: `https://s-${cloudId.slice(0, 8)}.atlassian.net`, ...overrides };
}

const says = (clientKey: string | null | undefined): ConfirmPairing => async () => clientKey;

forEachDatabase('joining a Forge site into its Connect tenant’s', (t) => {
  const notesOf = (siteId: string) => t.db.note.findMany({ where: { siteId }, select: { text: true }, orderBy: { text: 'asc' } }).then((n) => n.map((x) => x.text));

  describe('happens only on Atlassian’s word', () => {
    it('joins when Atlassian names the tenant’s clientKey: notes, deliveries and the installation move, the Forge site is gone', async () => {
      const sites = createSiteStore(t.db);
      const { tenant, claims, forgeSiteId } = await apart(t, sites);
      const notes = createNotesStore(t.db);
      await notes.create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'forge' });
      await notes.create(tenant.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'connect' });
      // The same event seen through both doors is kept once; the others move.
      await t.db.webhookDelivery.createMany({ data: [
        { siteId: forgeSiteId, webhookId: 'both', event: 'e' },
        { siteId: tenant.siteId, webhookId: 'both', event: 'e' },
        { siteId: forgeSiteId, webhookId: 'forge-only', event: 'e' },
      ] });
      const joined = await sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) });
      expect(joined.siteId).toBe(tenant.siteId);
      expect(await notesOf(tenant.siteId)).toEqual(['connect', 'forge']);
      expect((await t.db.webhookDelivery.findMany({ where: { siteId: tenant.siteId }, orderBy: { webhookId: 'asc' } })).map((d) => d.webhookId)).toEqual(['both', 'forge-only']);
      expect(await t.db.site.findUnique({ where: { id: forgeSiteId } })).toBeNull();
      expect(await t.db.site.findUniqueOrThrow({ where: { id: tenant.siteId } })).toMatchObject({ cloudId: claims.cloudId });
      expect(await t.db.webhookDelivery.count()).toBe(2);
    });

    for (const [why, answer] of [
      ['Atlassian cannot be asked (no system token, API down)', undefined],
      ['Atlassian names no Connect installation', null],
      ['Atlassian names another clientKey', 'ck-someone-else'],
    ] as const) {
      it(`keeps the sites apart when ${why}`, async () => {
        const sites = createSiteStore(t.db);
        const { tenant, claims, forgeSiteId } = await apart(t, sites);
        await createNotesStore(t.db).create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'forge' });
        const resolved = await sites.resolveForgeInstallation(claims, { confirmPairing: says(answer) });
        expect(resolved.siteId).toBe(forgeSiteId);
        expect(await notesOf(forgeSiteId)).toEqual(['forge']);
        expect(await notesOf(tenant.siteId)).toEqual([]);
        expect(await t.db.site.count()).toBe(2);
      });
    }

    it('asks Atlassian once per instance about a pairing it refused, not on every request', async () => {
      const sites = createSiteStore(t.db);
      const { claims, forgeSiteId } = await apart(t, sites);
      let asked = 0;
      const confirmPairing: ConfirmPairing = async () => (asked++, 'ck-someone-else');
      for (let i = 0; i < 3; i++) expect((await sites.resolveForgeInstallation(claims, { confirmPairing })).siteId).toBe(forgeSiteId);
      expect(asked).toBe(1);
    });

    it('decides nothing on a missing site URL: a backend FIT (no siteUrl) on an installation never seen with one joins nothing, even confirmed', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims();
      const { siteUrl, ...backend } = claims;
      const { siteId: forgeSiteId } = await sites.resolveForgeInstallation(backend);
      const tenant = await t.store.saveInstall(installPayload({ clientKey: 'ck-1', baseUrl: siteUrl, installationId: claims.installationId }), { iat: 1_000 });
      expect((await sites.resolveForgeInstallation(backend, { confirmPairing: says(tenant.clientKey) })).siteId).toBe(forgeSiteId);
      // The first FIT that names the site URL (a UI invocation) completes it.
      expect((await sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) })).siteId).toBe(tenant.siteId);
    });

    it('a Connect-first tenant is joined by the installation’s first FIT once confirmed (the legitimate order)', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims();
      const tenant = await t.store.saveInstall(installPayload({ clientKey: 'ck-first', baseUrl: claims.siteUrl, installationId: claims.installationId }), { iat: 1_000 });
      await createNotesStore(t.db).create(tenant.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'connect' });
      expect((await sites.resolveForgeInstallation(claims, { confirmPairing: says('ck-first') })).siteId).toBe(tenant.siteId);
      expect(await t.db.site.count()).toBe(1);
      expect(await notesOf(tenant.siteId)).toEqual(['connect']);
    });

    it('never overwrites a stored site URL (or environment, version) with a FIT that has none', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims({ environmentType: 'PRODUCTION', appVersion: '2.0.0' });
      await sites.resolveForgeInstallation(claims);
      await sites.recordLifecycle({ installationId: claims.installationId, cloudId: claims.cloudId }, 'upgraded', { iat: 2_000 });
      expect(await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: claims.installationId } })).toMatchObject({
        siteUrl: claims.siteUrl, environmentType: 'PRODUCTION', appVersion: '2.0.0', lastLifecycleIat: 2_000,
      });
    });
  });

  describe('the Connect install that claims an installationId', () => {
    it('a refused claim (the Forge installation names another site) stores nothing: the previous secret and link stay', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims();
      await sites.resolveForgeInstallation(claims);
      const before = await t.store.saveInstall(installPayload({ clientKey: 'ck-1', sharedSecret: 'before', installationId: 'ari:cloud:ecosystem::installation/old' }), { iat: 1_000 });
      const refused = await t.store.saveInstall(installPayload({ clientKey: 'ck-1', sharedSecret: 'after', installationId: claims.installationId }), {
        iat: 1_001,
        beforeWrite: (tx) => sites.assertLinkable(tx, { clientKey: 'ck-1', baseUrl: before.baseUrl, installationId: claims.installationId }),
      }).catch((err: unknown) => err);
      expect(errorResponse(refused).status).toBe(409);
      const now = await t.newStore().getTenant('ck-1');
      expect(now).toMatchObject({ sharedSecret: 'before', installationId: 'ari:cloud:ecosystem::installation/old', lastLifecycleIat: 1_000 });
    });

    it('of two installs claiming one installationId at once, both are stored with their own secrets and exactly one holds the link', async () => {
      const sites = createSiteStore(t.db);
      const installationId = forgeClaims().installationId;
      const claim = (clientKey: string, store = t.store) =>
        store.saveInstall(installPayload({ clientKey, baseUrl: `https://${clientKey}.atlassian.net`, sharedSecret: `secret-of-${clientKey}-0123456789` }), { iat: 1_000 }).then(() =>
          store.saveInstall(installPayload({ clientKey, baseUrl: `https://${clientKey}.atlassian.net`, sharedSecret: `secret-of-${clientKey}-0123456789`, installationId }), {
            iat: 1_001,
            beforeWrite: (tx) => sites.assertLinkable(tx, { clientKey, baseUrl: `https://${clientKey}.atlassian.net`, installationId }),
          }));
      const results = await Promise.allSettled([claim('ck-a'), claim('ck-b', t.newStore())]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await t.db.tenant.count({ where: { installationId } })).toBe(1);
      for (const clientKey of ['ck-a', 'ck-b']) {
        expect(await t.newStore().getTenant(clientKey)).toMatchObject({ sharedSecret: `secret-of-${clientKey}-0123456789`, lastInstallIat: 1_001 });
      }
    });

    it('a tenant that claimed someone else’s installationId first cannot keep the real tenant out: the real install is stored, and the join goes to the tenant Atlassian names, which takes the link', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims();
      const { siteUrl, ...backend } = claims;
      // Forge's installed event came first: the installation is known, its site URL not yet.
      const { siteId: forgeSiteId } = await sites.resolveForgeInstallation(backend);
      await createNotesStore(t.db).create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'forge' });
      const squat = { clientKey: 'ck-squatter', baseUrl: 'https://squatter.atlassian.net', installationId: claims.installationId };
      await t.store.saveInstall(installPayload(squat), { iat: 1_000, beforeWrite: (tx) => sites.assertLinkable(tx, squat) });
      // The real tenant's install: stored (its secret works), without the link the squatter holds.
      const real = { clientKey: 'ck-real', baseUrl: siteUrl!, installationId: claims.installationId };
      await t.store.saveInstall(installPayload({ ...real, sharedSecret: 'the-real-secret-0123456789' }), { iat: 1_001, beforeWrite: (tx) => sites.assertLinkable(tx, real) });
      expect(await t.newStore().getTenant('ck-real')).toMatchObject({ sharedSecret: 'the-real-secret-0123456789', installationId: null });
      // A UI FIT names the site; Atlassian names the real tenant: it is joined and takes the link.
      const joined = await sites.resolveForgeInstallation(claims, { confirmPairing: says('ck-real') });
      expect(joined.siteId).toBe('ck-real');
      expect(await notesOf('ck-real')).toEqual(['forge']);
      expect(await notesOf('ck-squatter')).toEqual([]);
      expect(await t.db.tenant.findMany({ select: { clientKey: true, installationId: true }, orderBy: { clientKey: 'asc' } })).toEqual([
        { clientKey: 'ck-real', installationId: claims.installationId },
        { clientKey: 'ck-squatter', installationId: null },
      ]);
    });

    it('a false claimant that uninstalls cannot leave the real tenant unjoined', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims();
      const { siteUrl, ...backend } = claims;
      await sites.resolveForgeInstallation(backend);
      const squat = { clientKey: 'ck-squatter', baseUrl: 'https://squatter.atlassian.net', installationId: claims.installationId };
      await t.store.saveInstall(installPayload(squat), { iat: 1_000, beforeWrite: (tx) => sites.assertLinkable(tx, squat) });
      const real = { clientKey: 'ck-real', baseUrl: siteUrl!, installationId: claims.installationId };
      await t.store.saveInstall(installPayload(real), { iat: 1_001, beforeWrite: (tx) => sites.assertLinkable(tx, real) });
      await t.store.markUninstalled('ck-squatter', { iat: 1_002 });
      expect((await sites.resolveForgeInstallation(claims, { confirmPairing: says('ck-real') })).siteId).toBe('ck-real');
      expect((await t.db.tenant.findUniqueOrThrow({ where: { clientKey: 'ck-real' } })).installationId).toBe(claims.installationId);
    });

    it('Atlassian’s answer is asked once per instance and matched against a tenant installed later, without asking again', async () => {
      const sites = createSiteStore(t.db);
      const claims = forgeClaims();
      await sites.resolveForgeInstallation(claims);
      const squat = { clientKey: 'ck-squatter', baseUrl: 'https://squatter.atlassian.net', installationId: claims.installationId };
      await t.store.saveInstall(installPayload(squat), { iat: 1_000 });
      let asked = 0;
      const confirmPairing: ConfirmPairing = async () => (asked++, 'ck-real');
      await sites.resolveForgeInstallation(claims, { confirmPairing });
      await sites.resolveForgeInstallation(claims, { confirmPairing });
      const real = { clientKey: 'ck-real', baseUrl: claims.siteUrl!, installationId: claims.installationId };
      await t.store.saveInstall(installPayload(real), { iat: 1_001, beforeWrite: (tx) => sites.assertLinkable(tx, real) });
      expect((await sites.resolveForgeInstallation(claims, { confirmPairing })).siteId).toBe('ck-real');
      expect(asked).toBe(1);
    });

    it('the unique key alone (no check ran) also answers 409 CONFLICT, not 500', async () => {
      const installationId = forgeClaims().installationId;
      await t.store.saveInstall(installPayload({ clientKey: 'ck-a', installationId }), { iat: 1_000 });
      const second = await t.store.saveInstall(installPayload({ clientKey: 'ck-b', installationId }), { iat: 1_000 }).catch((err: unknown) => err);
      expect(errorResponse(second).status).toBe(409);
    });
  });

  describe('loses nothing written during the join', () => {
    it('a writer still holding the old siteId after the join gets 503 SITE_MOVED with Retry-After, and nothing is stored', async () => {
      const sites = createSiteStore(t.db);
      const { tenant, claims, forgeSiteId } = await apart(t, sites);
      await sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) });
      const notes = createNotesStore(t.db);
      const request = new Request('https://app.example.com/api/forge/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ issueKey: 'NOTE-1', text: 'late' }) });
      const response = await handle(() => createNote({ siteId: forgeSiteId, accountId: ALICE }, request, { notes }));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ error: 'SITE_MOVED' });
      const event = await createWebhookDeliveries(t.db).processOnce({ siteId: forgeSiteId, webhookId: 'late', event: 'e' }, () => []).catch((err: unknown) => err);
      expect(errorResponse(event).status).toBe(503);
      expect(await t.db.note.count()).toBe(0);
      expect(await t.db.webhookDelivery.count()).toBe(0);
      // The retry resolves the merged site.
      expect((await sites.resolveForgeInstallation(claims)).siteId).toBe(tenant.siteId);
    });

    it('an event whose transaction is open when the join starts lands on the merged site', async () => {
      const sites = createSiteStore(t.db);
      const { tenant, claims, forgeSiteId } = await apart(t, sites);
      await createNotesStore(t.db).create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'old' });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inEffect!: () => void;
      const started = new Promise<void>((resolve) => (inEffect = resolve));
      // The event (a Forge event: interactive, with its deadline): its delivery row is inserted under the old
      // site, then the effect waits, transaction open.
      const event = withDeadline(FORGE_EVENT_DEADLINE_MS, (deadline) =>
        createWebhookDeliveries(t.db).processOnce(
          { siteId: forgeSiteId, webhookId: 'in-flight', event: 'avi:jira:updated:issue' },
          (notes, siteId) => [afterHold(async () => (inEffect(), held), () => notes.renameIssue(siteId, 'NOTE-1', 'NOTE-2', 'NOTE'))],
          { deadline },
        ),
      );
      await started;
      const join = sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) });
      await waitForTheJoinToWait(t);
      release();
      expect(await event).toBe('processed');
      expect((await join).siteId).toBe(tenant.siteId);
      expect(await t.db.webhookDelivery.findMany({ select: { siteId: true, webhookId: true } })).toEqual([{ siteId: tenant.siteId, webhookId: 'in-flight' }]);
      expect(await t.db.note.findMany({ select: { siteId: true, issueKey: true } })).toEqual([{ siteId: tenant.siteId, issueKey: 'NOTE-2' }]);
    });
  });

  it('PostgreSQL: a Connect webhook whose batch is open when the join starts lands on the merged site', async (ctx) => {
    // A Connect delivery is one batch transaction, which cannot be held open from inside: another connection
    // holds the note's row lock, so the batch stops at its UPDATE with its delivery row inserted under the
    // old site (and that site's row key-share locked), transaction open. SQLite: the test above.
    if (t.dialect !== 'postgresql') ctx.skip();
    const sites = createSiteStore(t.db);
    const { tenant, claims, forgeSiteId } = await apart(t, sites);
    await createNotesStore(t.db).create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'old' });
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    try {
      await holder.query(`SET search_path TO "${new URL(t.url).searchParams.get('schema')}"`);
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "Note" WHERE "siteId" = $1 FOR UPDATE`, [forgeSiteId]);
      const webhook = createWebhookDeliveries(t.db).processOnce({ siteId: forgeSiteId, webhookId: 'in-flight-batch', event: 'jira:issue_updated' }, (notes, siteId) => [
        notes.renameIssue(siteId, 'NOTE-1', 'NOTE-2', 'NOTE'),
      ]);
      await vi.waitFor(async () => {
        const { rows } = await holder.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))`);
        expect(rows[0].n).toBe(1);
      }, { timeout: 4_000, interval: 20 });
      const join = sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) });
      await waitForTheJoinToWait(t);
      await holder.query('COMMIT');
      expect(await webhook).toBe('processed');
      expect((await join).siteId).toBe(tenant.siteId);
      expect(await t.db.webhookDelivery.findMany({ select: { siteId: true, webhookId: true } })).toEqual([{ siteId: tenant.siteId, webhookId: 'in-flight-batch' }]);
      expect(await t.db.note.findMany({ select: { siteId: true, issueKey: true } })).toEqual([{ siteId: tenant.siteId, issueKey: 'NOTE-2' }]);
    } finally {
      await holder.end();
    }
  });

  it('PostgreSQL: a note insert held open across the join commits first and is moved, never deleted', async (ctx) => {
    // SQLite's adapter runs one transaction at a time: the test above is what there is to prove there.
    if (t.dialect !== 'postgresql') ctx.skip();
    const sites = createSiteStore(t.db);
    const { tenant, claims, forgeSiteId } = await apart(t, sites);
    const writer = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await writer.connect();
    try {
      await writer.query(`SET search_path TO "${new URL(t.url).searchParams.get('schema')}"`);
      await writer.query('BEGIN');
      // What a note insert does: its foreign-key check holds FOR KEY SHARE on the old Site row until commit.
      await writer.query(`INSERT INTO "Note" ("id","siteId","issueKey","authorAccountId","text") VALUES ($1,$2,'NOTE-1',$3,'held open')`, [randomUUID(), forgeSiteId, ALICE]);
      const join = sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) });
      await waitForTheJoinToWait(t);
      await writer.query('COMMIT'); // acknowledged: the writer would answer 201 now
      expect((await join).siteId).toBe(tenant.siteId);
      expect(await t.db.note.findMany({ select: { siteId: true, text: true } })).toEqual([{ siteId: tenant.siteId, text: 'held open' }]);
    } finally {
      await writer.end();
    }
  });

  it('PostgreSQL: a note insert that starts while the join holds the site waits, then fails visibly (SITE_MOVED), never lost', async (ctx) => {
    if (t.dialect !== 'postgresql') ctx.skip();
    const sites = createSiteStore(t.db);
    const { tenant, claims, forgeSiteId } = await apart(t, sites);
    // A second instance's join, held open by an event transaction on the *new* site so it cannot finish yet.
    const other = createDb(t.url);
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    try {
      await holder.query(`SET search_path TO "${new URL(t.url).searchParams.get('schema')}"`);
      await holder.query('BEGIN');
      // Holds the tenant's site row FOR UPDATE: the join's moves (whose foreign keys need FOR KEY SHARE on it) wait.
      await holder.query(`SELECT "id" FROM "Site" WHERE "id" = $1 FOR UPDATE`, [tenant.siteId]);
      const join = sites.resolveForgeInstallation(claims, { confirmPairing: says(tenant.clientKey) });
      await waitForTheJoinToWait(t); // the join now holds the old site FOR UPDATE and waits on the holder
      const late = createNotesStore(other).create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'late' }).catch((err: unknown) => err);
      await vi.waitFor(async () => expect(await waiting(t)).toBeGreaterThanOrEqual(2), { timeout: 4_000, interval: 20 });
      await holder.query('COMMIT');
      expect((await join).siteId).toBe(tenant.siteId);
      const response = errorResponse(await late);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'SITE_MOVED' });
      expect(await t.db.note.count()).toBe(0);
    } finally {
      await holder.end();
      await other.$disconnect();
    }
  });
});

/**
 * Statements of this test's schema waiting on a lock right now (PostgreSQL): Prisma names the schema in its
 * queries; the join's raw `FOR UPDATE` is recognised by its text.
 */
async function waiting(t: DatabaseContext): Promise<number> {
  const schema = new URL(t.url).searchParams.get('schema')!;
  const observer = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await observer.connect();
  try {
    const { rows } = await observer.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND (position($1 in query) > 0 OR query LIKE '%FROM "Site" WHERE "id" = $1 FOR UPDATE%')`,
      [`"${schema}".`],
    );
    return rows[0].n;
  } finally {
    await observer.end();
  }
}

/**
 * Until the join is blocked: on PostgreSQL, a lock wait shows in pg_locks; SQLite's adapter queues the join's
 * transaction behind the open one, which a short pause lets it reach.
 */
async function waitForTheJoinToWait(t: DatabaseContext): Promise<void> {
  if (t.dialect === 'sqlite') {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return;
  }
  await vi.waitFor(async () => expect(await waiting(t)).toBeGreaterThanOrEqual(1), { timeout: 4_000, interval: 20 });
}
