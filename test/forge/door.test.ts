/**
 * The Forge door of the notes API beside the Connect door, on SQLite and PostgreSQL: one site, one set of
 * notes, whichever door a request comes through; the site resolution rules of lib/sites/store.ts; and every
 * refused FIT leaves the database exactly as it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createForgeKeySet, type ForgeKeySet } from '@/lib/forge/invocation-token';
import { forgeCaller, type ForgeDoorDeps } from '@/lib/forge/caller';
import { authenticateCaller } from '@/lib/http/authenticate';
import { handle } from '@/lib/http/responses';
import { createNote, deleteNote, listNotes, type NoteView } from '@/lib/notes/api';
import { createNotesStore, type NotesStore } from '@/lib/notes/store';
import { createSiteStore, type SiteStore } from '@/lib/sites/store';
import type { Tenant } from '@/lib/tenants/types';
import { createDb, type Db } from '@/lib/db/client';
import { forEachDatabase, installPayload } from '../helpers/db';
import { ALICE, APP_URL, BOB, NOW, NOW_S, apiRequest, generalToken, issueToken } from '../notes/helpers';
import { APP_ID, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';
import { forgeCall, forgedFits, forgeSite, siteFit, type ForgeSite } from './helpers/forge-door';

let key: SigningKey;
let stranger: SigningKey;
let jwks: JwksServer;
let keys: ForgeKeySet;

beforeAll(async () => {
  [key, stranger] = [await signingKey('forge-key-1'), await signingKey('not-published')];
  jwks = await startJwksServer([key.publicJwk]);
  keys = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0, timeoutMs: 2000 });
});
afterAll(() => jwks.close());

forEachDatabase('the Forge door', (t) => {
  let notes: NotesStore;
  let sites: SiteStore;

  /**
   * What Atlassian answers for the reserved app property (lib/forge/pairing.ts): by default the clientKey of
   * the site's Connect tenant as `connectTenant` below names it.
   */
  let atlassian: (cloudId: string) => Promise<string | null | undefined>;

  beforeEach(() => {
    notes = createNotesStore(t.db);
    sites = createSiteStore(t.db);
    jwks.fail(undefined);
    atlassian = async (cloudId) => `ck-${cloudId}`;
  });

  const forgeDeps = (): ForgeDoorDeps => ({ verify: { appId: APP_ID, keys }, sites, pairing: (forge) => () => atlassian(forge.invocation.cloudId!) });
  const viaForge = {
    list: (fit: string, query = '') => {
      const request = forgeCall(`/api/forge/notes${query}`, fit);
      return handle(async () => listNotes((await forgeCaller(request, forgeDeps())).caller, request, { notes }));
    },
    create: (fit: string, body: unknown) => {
      const request = forgeCall('/api/forge/notes', fit, { body });
      return handle(async () => createNote((await forgeCaller(request, forgeDeps())).caller, request, { notes }));
    },
    remove: (fit: string, id: string) => {
      const request = forgeCall(`/api/forge/notes/${id}`, fit, { method: 'DELETE' });
      return handle(async () => deleteNote((await forgeCaller(request, forgeDeps())).caller, id, { notes }));
    },
  };
  const viaConnect = {
    list: (token: string, query = '') => {
      const request = apiRequest(`/api/notes${query}`, { token });
      return handle(async () => listNotes(await authenticateCaller(request, { store: t.store, appBaseUrl: APP_URL, now: NOW }), request, { notes }));
    },
    create: (token: string, body: unknown) => {
      const request = apiRequest('/api/notes', { method: 'POST', token, body });
      return handle(async () => createNote(await authenticateCaller(request, { store: t.store, appBaseUrl: APP_URL, now: NOW }), request, { notes }));
    },
  };
  const texts = async (response: Response) => {
    expect(response.status).toBe(200);
    return ((await response.json()) as { notes: NoteView[] }).notes.map((n) => n.text);
  };
  /** A Connect tenant of the Forge site `site` (its `installed` carried the installationId): only `installed`, never `enabled`. */
  const connectTenant = async (site: ForgeSite, withInstallationId = true, iat = NOW_S - 60): Promise<Tenant> =>
    t.store.saveInstall(
      installPayload({ clientKey: `ck-${site.cloudId}`, baseUrl: site.siteUrl, installationId: withInstallationId ? site.installationId : null }),
      { iat },
    );
  const counts = async () => ({
    sites: await t.db.site.count(),
    installations: await t.db.forgeInstallation.count(),
    notes: await t.db.note.count(),
    tenants: await t.db.tenant.count(),
  });

  it('Connect and Forge doors of one site see the same notes; another site sees none of them', async () => {
    const site = forgeSite();
    const tenant = await connectTenant(site);
    expect((await viaConnect.create(issueToken(tenant, 'NOTE-1', ALICE), { issueKey: 'NOTE-1', text: 'from Connect' })).status).toBe(201);
    expect((await viaForge.create(await siteFit(key, site, { principal: BOB, issueKey: 'NOTE-1' }), { issueKey: 'NOTE-1', text: 'from Forge' })).status).toBe(201);

    expect(await texts(await viaForge.list(await siteFit(key, site, { issueKey: 'NOTE-1' }), '?issueKey=NOTE-1'))).toEqual(['from Forge', 'from Connect']);
    expect(await texts(await viaConnect.list(generalToken(tenant)))).toEqual(['from Forge', 'from Connect']);
    const other = forgeSite();
    expect(await texts(await viaForge.list(await siteFit(key, other), '?issueKey=NOTE-1'))).toEqual([]);
    expect(await texts(await viaForge.list(await siteFit(key, other)))).toEqual([]);
    // The tenant never received `enabled` (Connect-on-Forge stops sending it) and works all the same.
    expect((await t.store.getTenant(tenant.clientKey))?.state).toBe('installed');
  });

  it('a Connect tenant cached with a site another instance joined away gets 503 SITE_MOVED once; its retry lands on the joined site', async () => {
    const instance = t.newStore(undefined, { forgetOnSiteMoved: true });
    const connectOn = (store: typeof instance, token: string, body: unknown) => {
      const request = apiRequest('/api/notes', { method: 'POST', token, body });
      return handle(async () => createNote(await authenticateCaller(request, { store, appBaseUrl: APP_URL, now: NOW }), request, { notes }));
    };
    const tenant = await connectTenant(forgeSite(), false);
    const into = await connectTenant(forgeSite(), false);
    expect((await instance.getTenant(tenant.clientKey))?.siteId).toBe(tenant.siteId); // cached here
    // Another instance joins the tenant's site into another (what mergeSites commits: rows moved, site deleted).
    await t.db.$transaction(async (tx) => {
      await tx.tenant.updateMany({ where: { siteId: tenant.siteId }, data: { siteId: into.siteId } });
      await tx.site.delete({ where: { id: tenant.siteId } });
    });
    const first = await connectOn(instance, generalToken(tenant), { issueKey: 'NOTE-1', text: 'during the join' });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await first.json()).toMatchObject({ error: 'SITE_MOVED' });
    // The 503 dropped this instance's cached tenants: the retry reads the tenant's new site, well within the 10 s TTL.
    expect((await connectOn(instance, generalToken(tenant), { issueKey: 'NOTE-1', text: 'during the join' })).status).toBe(201);
    expect(await t.db.note.findMany({ select: { siteId: true, text: true } })).toEqual([{ siteId: into.siteId, text: 'during the join' }]);
  });

  it('a site that moves from Connect to Forge keeps its notes, and the site learns its cloudId', async () => {
    const site = forgeSite();
    const tenant = await connectTenant(site);
    await notes.create(tenant.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'written before Forge' });
    expect(await texts(await viaForge.list(await siteFit(key, site)))).toEqual(['written before Forge']);
    expect(await t.db.site.findUnique({ where: { id: tenant.siteId } })).toMatchObject({ cloudId: site.cloudId });
    expect(await t.db.forgeInstallation.findUnique({ where: { installationId: site.installationId } })).toMatchObject({ siteId: tenant.siteId, state: 'installed', siteUrl: site.siteUrl });
  });

  it('a Forge reinstall (new installationId, same cloudId) keeps the notes', async () => {
    const first = forgeSite();
    expect((await viaForge.create(await siteFit(key, first, { issueKey: 'NOTE-1' }), { issueKey: 'NOTE-1', text: 'kept' })).status).toBe(201);
    await sites.markUninstalled(first.installationId, { iat: Math.floor(Date.now() / 1000) });
    const reinstall = { ...first, installationId: forgeSite().installationId };
    expect(await texts(await viaForge.list(await siteFit(key, reinstall)))).toEqual(['kept']);
    expect(await t.db.site.count()).toBe(1);
  });

  it('an uninstalled Forge installation is refused (401 TENANT_UNINSTALLED)', async () => {
    const site = forgeSite();
    await viaForge.list(await siteFit(key, site));
    await sites.markUninstalled(site.installationId, { iat: Math.floor(Date.now() / 1000) });
    const response = await viaForge.list(await siteFit(key, site));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'TENANT_UNINSTALLED' });
  });

  it('the order problem: Forge reaches the app before the Connect install that links them; the Forge-made site is merged into the tenant’s', async () => {
    const site = forgeSite();
    const before = await connectTenant(site, false); // an old Connect install, before the app was on Forge
    await notes.create(before.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'connect' });
    // Forge first: no tenant carries this installationId yet, so it gets a site of its own.
    expect((await viaForge.create(await siteFit(key, site, { issueKey: 'NOTE-1' }), { issueKey: 'NOTE-1', text: 'forge' })).status).toBe(201);
    expect(await t.db.site.count()).toBe(2);

    const linked = await connectTenant(site, true, NOW_S - 30); // the Connect `installed` now carries the installationId
    expect(await t.db.site.count()).toBe(2); // the unsigned body alone moves nothing
    // The next invocation asks Atlassian which Connect installation this is, and joins the two sites.
    expect(await texts(await viaForge.list(await siteFit(key, site)))).toEqual(['forge', 'connect']);
    expect(await t.db.site.count()).toBe(1);
    expect(await t.db.site.findUnique({ where: { id: before.siteId } })).toMatchObject({ cloudId: site.cloudId });
    expect(await texts(await viaForge.list(await siteFit(key, site)))).toEqual(['forge', 'connect']);
    expect(await texts(await viaConnect.list(generalToken(linked)))).toEqual(['forge', 'connect']);
    // Joining again changes nothing.
    await viaForge.list(await siteFit(key, site));
    expect(await counts()).toEqual({ sites: 1, installations: 1, notes: 2, tenants: 1 });
  });

  it('the order problem, resolved by the first FIT instead: a tenant without cloudId absorbs the site holding it', async () => {
    const site = forgeSite();
    const tenant = await connectTenant(site, false);
    const reinstalled = { ...site, installationId: forgeSite().installationId };
    await viaForge.create(await siteFit(key, site, { issueKey: 'NOTE-2' }), { issueKey: 'NOTE-2', text: 'old forge install' });
    const linked = await t.store.saveInstall(installPayload({ clientKey: tenant.clientKey, baseUrl: site.siteUrl, installationId: reinstalled.installationId }), { iat: NOW_S - 30 });
    expect(await texts(await viaForge.list(await siteFit(key, reinstalled)))).toEqual(['old forge install']);
    expect(await t.db.site.count()).toBe(1);
    expect(await texts(await viaConnect.list(generalToken(linked)))).toEqual(['old forge install']);
  });

  it('keeps apart an installation whose tenant names another site URL: the Forge site is never joined to it', async () => {
    const site = forgeSite();
    const elsewhere = await t.store.saveInstall(installPayload({ clientKey: 'ck-elsewhere', baseUrl: 'https://elsewhere.atlassian.net', installationId: site.installationId }), { iat: NOW_S });
    await notes.create(elsewhere.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'elsewhere' });
    atlassian = async () => 'ck-elsewhere'; // even were Atlassian to pair them: the URLs disagree
    expect((await viaForge.create(await siteFit(key, site, { issueKey: 'NOTE-1' }), { issueKey: 'NOTE-1', text: 'forge' })).status).toBe(201);
    expect(await texts(await viaForge.list(await siteFit(key, site)))).toEqual(['forge']);
    expect(await t.db.site.count()).toBe(2);
    expect(await notes.listRecent(elsewhere.siteId)).toHaveLength(1);
  });

  it('refuses (409 CONFLICT) a known installation presented with another cloudId', async () => {
    const site = forgeSite();
    await viaForge.list(await siteFit(key, site));
    const before = await counts();
    const response = await viaForge.list(await siteFit(key, { ...site, cloudId: forgeSite().cloudId }));
    expect(response.status).toBe(409);
    expect(await counts()).toEqual(before);
  });

  it('a FIT minted on one issue opens that issue only; a global page may name any', async () => {
    const site = forgeSite();
    await viaForge.create(await siteFit(key, site, { issueKey: 'NOTE-2' }), { issueKey: 'NOTE-2', text: 'two' });
    const onOne = await siteFit(key, site, { issueKey: 'NOTE-1' });
    expect((await viaForge.list(onOne, '?issueKey=NOTE-2')).status).toBe(403);
    expect((await viaForge.list(onOne)).status).toBe(403);
    expect((await viaForge.create(onOne, { issueKey: 'NOTE-2', text: 'x' })).status).toBe(403);
    expect(await texts(await viaForge.list(await siteFit(key, site), '?issueKey=NOTE-2'))).toEqual(['two']);
  });

  it('the author is the FIT’s principal, whatever the body says; without a principal nothing is written', async () => {
    const site = forgeSite();
    const created = await viaForge.create(await siteFit(key, site, { principal: ALICE, issueKey: 'NOTE-1' }), { issueKey: 'NOTE-1', text: 'mine', authorAccountId: BOB });
    const { note } = (await created.json()) as { note: NoteView };
    expect(note).toMatchObject({ authorAccountId: ALICE, mine: true });
    expect((await viaForge.remove(await siteFit(key, site, { principal: BOB, issueKey: 'NOTE-1' }), note.id)).status).toBe(403);
    expect((await viaForge.create(await siteFit(key, site, { principal: null, issueKey: 'NOTE-1' }), { issueKey: 'NOTE-1', text: 'x' })).status).toBe(403);
    expect((await viaForge.remove(await siteFit(key, forgeSite(), { principal: ALICE }), note.id)).status).toBe(404);
    expect((await viaForge.remove(await siteFit(key, site, { principal: ALICE, issueKey: 'NOTE-1' }), note.id)).status).toBe(204);
  });

  describe('every forged or unusable FIT is refused and changes nothing stored', () => {
    it('alg none, HS256 with the public key, wrong aud or iss, expired, unknown kid, Isolated Cloud', async () => {
      const site = forgeSite();
      await viaForge.list(await siteFit(key, site)); // one installation exists already
      const newSite = forgeSite();
      for (const target of [site, newSite]) {
        for (const forged of await forgedFits(key, stranger, target)) {
          const before = await counts();
          for (const response of [await viaForge.list(forged.token), await viaForge.create(forged.token, { issueKey: 'NOTE-1', text: 'x' })]) {
            expect([forged.name, response.status]).toEqual([forged.name, forged.status]);
            expect(await response.json()).toMatchObject({ error: forged.code });
          }
          expect(await counts()).toEqual(before);
        }
      }
    });

    it('a missing token (401 TOKEN_MISSING)', async () => {
      const before = await counts();
      const response = await handle(async () => listNotes((await forgeCaller(forgeCall('/api/forge/notes', undefined), forgeDeps())).caller, forgeCall('/api/forge/notes', undefined), { notes }));
      expect(response.status).toBe(401);
      expect(await counts()).toEqual(before);
    });

    it('the key server down: 503 KEY_SERVER_UNAVAILABLE, fast, nothing stored', async () => {
      const downKeys = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0, timeoutMs: 500 });
      jwks.fail(500);
      const before = await counts();
      const request = forgeCall('/api/forge/notes', await siteFit(key, forgeSite()));
      const response = await handle(async () => listNotes((await forgeCaller(request, { verify: { appId: APP_ID, keys: downKeys }, sites })).caller, request, { notes }));
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'KEY_SERVER_UNAVAILABLE' });
      expect(await counts()).toEqual(before);
    });
  });

  it('two first-time FITs for one installation at once, on two app instances, end on one site', async () => {
    const second = createDb(t.url);
    try {
      for (let round = 0; round < 3; round++) {
        const site = forgeSite();
        // Every instance looks the installation up and finds nothing before any of them creates it: the
        // race the unique keys (Site.cloudId, ForgeInstallation.installationId) and the retry must settle.
        const barrier = { waiting: 0, released: false };
        const raced = (db: Db) => createSiteStore(lookupsMeetAt(db, barrier, 4));
        const instances = [raced(t.db), raced(second), raced(t.db), raced(second)];
        const fits = await Promise.all(instances.map(() => siteFit(key, site)));
        const results = await Promise.all(
          instances.map((store, i) => forgeCaller(forgeCall('/api/forge/notes', fits[i]), { verify: { appId: APP_ID, keys }, sites: store }).then((r) => r.caller.siteId)),
        );
        expect(barrier.released).toBe(true);
        expect(new Set(results).size).toBe(1);
        expect(await t.db.site.count({ where: { cloudId: site.cloudId } })).toBe(1);
        expect(await t.db.forgeInstallation.count({ where: { installationId: site.installationId } })).toBe(1);
      }
    } finally {
      await second.$disconnect();
    }
  });
});

/**
 * `db`, except that the first `forgeInstallation.findUnique` of each caller waits until `n` callers have made
 * theirs (at most 3 s): all of them see "no such installation" before any creates it.
 */
function lookupsMeetAt(db: Db, barrier: { waiting: number; released: boolean }, n: number): Db {
  const installations = new Proxy(db.forgeInstallation, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'findUnique') return value;
      return async (args: Parameters<Db['forgeInstallation']['findUnique']>[0]) => {
        const found = await target.findUnique(args);
        if (!barrier.released) {
          barrier.waiting++;
          if (barrier.waiting >= n) barrier.released = true;
          const until = Date.now() + 3000;
          while (!barrier.released && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        }
        return found;
      };
    },
  });
  return new Proxy(db, { get: (target, prop, receiver) => (prop === 'forgeInstallation' ? installations : Reflect.get(target, prop, receiver)) });
}
