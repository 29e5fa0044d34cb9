/**
 * The Forge Remote routes under app/api/forge, as a fresh server process loads them (configuration from the
 * environment, the app's own database clients), on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { forEachDatabase } from '../helpers/db';
import { json, startServer, type TestServer } from '../helpers/fake-product-api';
import { disconnectAppDb, useAppEnvironment } from '../notes/helpers';
import { ACCOUNT_ID, APP_ID, signFit, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';
import { backendFit, forgeCall, forgeSite, siteClaims, siteFit, UNINSTALL_ENDPOINT } from './helpers/forge-door';

let key: SigningKey;
let jwks: JwksServer;
let jira: TestServer;
beforeAll(async () => {
  key = await signingKey('forge-key-1');
  jwks = await startJwksServer([key.publicJwk]);
  jira = await startServer((hit, res) => {
    if (hit.headers.authorization !== 'Bearer sys-token') return json(res, 401, {});
    if (hit.url.includes('/rest/api/3/issue/NOTE-1')) return json(res, 200, { fields: { summary: 'The summary' } });
    return json(res, 404, {});
  });
});
afterAll(async () => {
  await jwks.close();
  await jira.close();
});

forEachDatabase('Forge Remote routes', (t) => {
  async function routes() {
    await useAppEnvironment(t);
    vi.stubEnv('FORGE_APP_ID', APP_ID);
    vi.stubEnv('FORGE_JWKS_URL', jwks.url);
    vi.stubEnv('CONNECT_LOG', 'silent');
    return {
      notes: await import('@/app/api/forge/notes/route'),
      note: await import('@/app/api/forge/notes/[id]/route'),
      events: await import('@/app/api/forge/events/route'),
      uninstall: await import('@/app/api/forge/uninstall/route'),
      details: await import('@/app/api/forge/issue-details/route'),
    };
  }
  afterAll(async () => {
    await useAppEnvironment(t);
    await disconnectAppDb();
    vi.unstubAllEnvs();
  });

  it('install event, notes, issue details, product event and uninstall, end to end', async () => {
    const r = await routes();
    const site = forgeSite();
    const fit = (options: Parameters<typeof siteFit>[2] = {}) => siteFit(key, site, options);
    const installed = await r.events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: { eventType: 'avi:forge:installed:app' } }));
    expect(installed.status).toBe(204);

    const created = await r.notes.POST(forgeCall('/api/forge/notes', await fit({ issueKey: 'NOTE-1' }), { body: { issueKey: 'NOTE-1', text: 'hello from Forge' } }));
    expect(created.status).toBe(201);
    const { note } = (await created.json()) as { note: { id: string; authorAccountId: string } };
    expect(note.authorAccountId).toBe(ACCOUNT_ID);
    const listed = await r.notes.GET(forgeCall('/api/forge/notes?issueKey=NOTE-1', await fit({ issueKey: 'NOTE-1' })));
    expect(listed.headers.get('cache-control')).toBe('no-store');
    expect(((await listed.json()) as { notes: { text: string }[] }).notes.map((n) => n.text)).toEqual(['hello from Forge']);

    // Jira played by a loopback server (allowed outside production), reached with the app system token.
    const withApi = await siteFitWithApi(key, site, `${jira.origin}/ex/jira/${site.cloudId}`);
    const details = await r.details.GET(forgeCall('/api/forge/issue-details?issueKey=NOTE-1', withApi, { headers: { 'x-forge-oauth-system': 'sys-token' } }));
    expect(await details.json()).toMatchObject({ issue: { key: 'NOTE-1', summary: 'The summary', via: 'app' } });
    expect(jira.hits.every((h) => !JSON.stringify(h.headers).includes('x-forge-oauth'))).toBe(true);

    const deleted = await r.events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: { eventType: 'avi:jira:deleted:issue', issue: { id: '10001', key: 'NOTE-1' } } }));
    expect(deleted.status).toBe(204);
    expect(((await (await r.notes.GET(forgeCall('/api/forge/notes', await fit()))).json()) as { notes: unknown[] }).notes).toEqual([]);

    expect((await r.uninstall.POST(forgeCall('/api/forge/uninstall', await backendFit(key, site, { module: UNINSTALL_ENDPOINT }), { body: {} }))).status).toBe(204);
    const after = await r.notes.GET(forgeCall('/api/forge/notes', await fit()));
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'TENANT_UNINSTALLED' });
    vi.unstubAllEnvs();
  });

  it('answers 404 on every Forge route when FORGE_APP_ID is not set, and stores nothing', async () => {
    await routes();
    vi.stubEnv('FORGE_APP_ID', '');
    vi.resetModules();
    const notes = await import('@/app/api/forge/notes/route');
    const events = await import('@/app/api/forge/events/route');
    const site = forgeSite();
    expect((await notes.GET(forgeCall('/api/forge/notes', await siteFit(key, site)))).status).toBe(404);
    expect((await events.POST(forgeCall('/api/forge/events', await siteFit(key, site), { body: { eventType: 'avi:forge:installed:app' } }))).status).toBe(404);
    expect(await t.db.site.count()).toBe(0);
    vi.unstubAllEnvs();
  });
});

async function siteFitWithApi(key: SigningKey, site: ReturnType<typeof forgeSite>, apiBaseUrl: string): Promise<string> {
  const claims = siteClaims(site, { issueKey: 'NOTE-1' });
  return signFit(key, { ...claims, app: { ...(claims.app as object), apiBaseUrl } });
}
