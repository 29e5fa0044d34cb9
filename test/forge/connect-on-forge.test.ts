/**
 * Connect-on-Forge lifecycle facts, through the code the lifecycle route runs, on SQLite and PostgreSQL:
 * the signed `installed` of an app registered on Forge carries `installationId`, which is stored and links
 * the Connect tenant to its Forge installation (a site Forge reached first joins once Atlassian confirms the
 * pairing); `enabled` never comes
 * and is not needed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInstallKeyResolver } from '@/lib/connect/install-token';
import { handleLifecycle } from '@/lib/connect/lifecycle';
import { parseLifecyclePayload } from '@/lib/connect/lifecycle-payload';
import { createForgeKeySet, type ForgeKeySet } from '@/lib/forge/invocation-token';
import { forgeCaller } from '@/lib/forge/caller';
import { handle } from '@/lib/http/responses';
import { createSiteStore } from '@/lib/sites/store';
import { forEachDatabase } from '../helpers/db';
import { APP_KEY, APP_URL, installPayload, lifecycleRequest, signInstallToken, startKeyServer, type KeyServer } from '../helpers/product';
import { APP_ID, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';
import { forgeCall, forgeSite, siteFit } from './helpers/forge-door';

let installKeys: KeyServer;
let key: SigningKey;
let jwks: JwksServer;
let keys: ForgeKeySet;
beforeAll(async () => {
  installKeys = await startKeyServer();
  key = await signingKey('forge-key-1');
  jwks = await startJwksServer([key.publicJwk]);
  keys = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0 });
});
afterAll(async () => {
  await installKeys.close();
  await jwks.close();
});

it('parses installationId from an installed payload, and refuses one that is not a Forge installation id', () => {
  const rules = { event: 'installed' as const, appKey: APP_KEY, allowedHosts: ['*.atlassian.net'] };
  const installationId = 'ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5';
  expect(parseLifecyclePayload(installPayload({ installationId }), rules).installationId).toBe(installationId);
  expect(parseLifecyclePayload(installPayload(), rules).installationId).toBeNull();
  expect(() => parseLifecyclePayload(installPayload({ installationId: 'ari:cloud:ecosystem::app/0a3a7799-53ae-4a5b-9e7e-03338980abb5' }), rules)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
});

forEachDatabase('Connect on Forge', (t) => {
  /** Atlassian signs every install anew, a second or more apart: each call here gets a later `iat`. */
  let clock = Math.floor(Date.now() / 1000) - 120;
  const installed = (payload: Record<string, unknown> & { clientKey: string }, token?: string) =>
    handle(async () => {
      const url = `${APP_URL}/api/lifecycle/installed`;
      const request = lifecycleRequest('installed', payload, token ?? signInstallToken(installKeys, payload.clientKey, url, { claims: { iat: ++clock } }));
      await handleLifecycle('installed', request, {
        store: t.store,
        appBaseUrl: APP_URL,
        appKey: APP_KEY,
        allowedHosts: ['*.atlassian.net'],
        resolveInstallKey: createInstallKeyResolver({ keysUrls: [installKeys.url] }),
        sites: createSiteStore(t.db),
      });
      return new Response(null, { status: 204 });
    });

  it('stores the installationId of a signed install; a later install without it keeps it', async () => {
    const site = forgeSite();
    const payload = installPayload({ baseUrl: site.siteUrl, installationId: site.installationId });
    expect((await installed(payload)).status).toBe(204);
    expect(await t.store.getTenant(payload.clientKey)).toMatchObject({ installationId: site.installationId, siteId: payload.clientKey, state: 'installed' });
    expect((await installed({ ...payload, installationId: undefined })).status).toBe(204);
    expect((await t.store.getTenant(payload.clientKey))?.installationId).toBe(site.installationId);
  });

  it('a site Forge reached first joins the tenant’s once Atlassian confirms the pairing: not on the install body alone', async () => {
    const site = forgeSite();
    const sites = createSiteStore(t.db);
    const payload = installPayload({ baseUrl: site.siteUrl, installationId: site.installationId });
    // What Atlassian's reserved app property answers for this Forge installation: the Connect clientKey.
    const door = { verify: { appId: APP_ID, keys }, sites, pairing: () => async () => payload.clientKey };
    const { caller } = await forgeCaller(forgeCall('/api/forge/notes', await siteFit(key, site)), door);
    await t.db.note.create({ data: { siteId: caller.siteId, issueKey: 'NOTE-1', authorAccountId: 'a', text: 'via Forge first' } });
    expect((await installed(payload)).status).toBe(204);
    expect(await t.db.site.count()).toBe(2); // the install stored its claim and moved nothing
    expect((await forgeCaller(forgeCall('/api/forge/notes', await siteFit(key, site)), door)).caller.siteId).toBe(payload.clientKey);
    expect(await t.db.site.findMany({ select: { id: true, cloudId: true } })).toEqual([{ id: payload.clientKey, cloudId: site.cloudId }]);
    expect(await t.db.note.findMany({ select: { siteId: true, text: true } })).toEqual([{ siteId: payload.clientKey, text: 'via Forge first' }]);
    expect(await t.db.forgeInstallation.findMany({ select: { siteId: true } })).toEqual([{ siteId: payload.clientKey }]);
  });

  it('stores an install naming an installationId another tenant holds without the link (the holder keeps it), and refuses (409) one naming a Forge installation of another site, storing nothing new', async () => {
    const site = forgeSite();
    await installed(installPayload({ baseUrl: site.siteUrl, installationId: site.installationId }));
    const before = await t.db.tenant.findMany({ orderBy: { clientKey: 'asc' } });
    // The claim is unsigned: a second claimant is installed (its own clientKey, signed) but gets no link.
    const claimant = installPayload({ clientKey: 'ck-second-claimant', baseUrl: 'https://second.atlassian.net', installationId: site.installationId });
    expect((await installed(claimant)).status).toBe(204);
    expect(await t.db.tenant.findMany({ where: { clientKey: { not: 'ck-second-claimant' } }, orderBy: { clientKey: 'asc' } })).toEqual(before);
    expect(await t.db.tenant.findUniqueOrThrow({ where: { clientKey: 'ck-second-claimant' } })).toMatchObject({ installationId: null });

    // A Forge installation seen on one site cannot be claimed by a Connect install of another.
    const other = forgeSite();
    await forgeCaller(forgeCall('/api/forge/notes', await siteFit(key, other)), { verify: { appId: APP_ID, keys }, sites: createSiteStore(t.db) });
    const state = async () => ({ sites: await t.db.site.findMany({ orderBy: { id: 'asc' } }), tenants: await t.db.tenant.findMany({ orderBy: { clientKey: 'asc' } }) });
    const stateBefore = await state();
    expect((await installed(installPayload({ baseUrl: 'https://not-that-site.atlassian.net', installationId: other.installationId }))).status).toBe(409);
    expect(await state()).toEqual(stateBefore);
  });

  it('refuses (409 REPLAYED_INSTALL) a signed install token used again with another body, and keeps the secret and link', async () => {
    const site = forgeSite();
    const payload = installPayload({ baseUrl: site.siteUrl, installationId: site.installationId });
    const token = signInstallToken(installKeys, payload.clientKey, `${APP_URL}/api/lifecycle/installed`, { claims: { iat: ++clock } });
    expect((await installed(payload, token)).status).toBe(204);
    const before = await t.db.tenant.findMany();
    const replay = await installed({ ...payload, sharedSecret: 'attacker-chosen-secret-0123456789abcdef', installationId: forgeSite().installationId }, token);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: 'REPLAYED_INSTALL' });
    expect(await t.db.tenant.findMany()).toEqual(before);
  });
});
