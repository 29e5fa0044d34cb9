/**
 * The Forge door's report: the scheduled trigger's request (FIT + system token) to /api/forge/privacy-report,
 * with a loopback server playing https://api.atlassian.com/app/report-accounts/ (the FIT's apiBaseUrl points
 * at it; only loopback http is accepted besides Atlassian's origin). Real databases.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { createForgeKeySet } from '@/lib/forge/invocation-token';
import { createNotesStore } from '@/lib/notes/store';
import { FORGE_REPORT_PATH } from '@/lib/privacy/doors';
import { receivePrivacyTrigger, type ForgeTriggerDeps } from '@/lib/privacy/forge-trigger';
import { errorResponse } from '@/lib/http/responses';
import { createSiteStore } from '@/lib/sites/store';
import { forEachDatabase } from '../helpers/db';
import { json, startServer, type TestServer } from '../helpers/fake-product-api';
import { backendClaims, forgeCall, forgedFits, forgeSite, PRIVACY_ENDPOINT, type ForgeSite } from '../forge/helpers/forge-door';
import { APP_ID, signFit, signingKey, startJwksServer, type JwksServer, type SigningKey } from '../forge/helpers/forge-platform';

const CLOSED = '5be24ba3f91c106033269289';
const ACTIVE = '5be24ad8b1653240376955d2';
const SYSTEM_TOKEN = 'system-token-for-tests';
const PATH = '/api/forge/privacy-report';

let key: SigningKey;
let stranger: SigningKey;
let jwks: JwksServer;
let api: TestServer;

beforeAll(async () => {
  key = await signingKey('forge-key-1');
  stranger = await signingKey('stranger');
  jwks = await startJwksServer([key.publicJwk]);
  api = await startServer((hit, res) => {
    if (hit.method !== 'POST' || hit.url !== FORGE_REPORT_PATH) return json(res, 404, {});
    if (hit.headers.authorization !== `Bearer ${SYSTEM_TOKEN}`) return json(res, 401, {});
    const accounts = (JSON.parse(hit.body) as { accounts: { accountId: string }[] }).accounts;
    const closed = accounts.filter((a) => a.accountId === CLOSED).map((a) => ({ accountId: a.accountId, status: 'closed' }));
    return closed.length ? json(res, 200, { accounts: closed }) : res.writeHead(204).end();
  });
});
afterAll(async () => {
  await jwks.close();
  await api.close();
});

/** The claims Forge signs for the scheduled trigger's invocation of our endpoint, its apiBaseUrl on the stand-in API. */
function triggerClaims(site: ForgeSite, module: { type: string; key: string } = PRIVACY_ENDPOINT) {
  const claims = backendClaims(site, { module });
  return { ...claims, app: { ...(claims.app as Record<string, unknown>), apiBaseUrl: `${api.origin}/ex/jira/${site.cloudId}` } };
}

forEachDatabase('Forge scheduled trigger → personal data report', (t) => {
  let deps: ForgeTriggerDeps;
  let site: ForgeSite;
  let siteId: string;

  beforeEach(async () => {
    api.hits.length = 0;
    const sites = createSiteStore(t.db);
    deps = { verify: { appId: APP_ID, keys: createForgeKeySet({ jwksUrl: jwks.url }) }, sites, db: t.db, product: { allowLocalApi: true } };
    site = forgeSite();
    ({ siteId } = await sites.resolveForgeInstallation({ installationId: site.installationId, cloudId: site.cloudId, siteUrl: site.siteUrl }));
    const notes = createNotesStore(t.db);
    for (const authorAccountId of [CLOSED, ACTIVE]) await notes.create(siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId, text: 'x' });
  });

  async function call(claims: Record<string, unknown>, headers: Record<string, string> = { 'x-forge-oauth-system': SYSTEM_TOKEN }, signer = key) {
    try {
      const body = await receivePrivacyTrigger(forgeCall(PATH, await signFit(signer, claims), { body: { context: {} }, headers }), deps);
      return { status: 200, body: body as unknown as Record<string, unknown> };
    } catch (err) {
      const response = errorResponse(err);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }
  }
  const untouched = async () => {
    expect(api.hits).toHaveLength(0);
    expect(await t.db.note.count({ where: { siteId } })).toBe(2);
    expect(await t.db.privacyReport.count()).toBe(0);
  };

  it('reports its own site with the system token to /app/report-accounts/ and erases the closed account', async () => {
    const answer = await call(triggerClaims(site));
    expect(answer).toMatchObject({ status: 200, body: { outcome: 'completed', batches: 1, reported: 2, closed: 1, notesErased: 1 } });
    expect(api.hits.map((h) => [h.method, h.url, h.headers.authorization])).toEqual([['POST', FORGE_REPORT_PATH, `Bearer ${SYSTEM_TOKEN}`]]);
    expect((await t.db.note.findMany({ where: { siteId } })).map((n) => n.authorAccountId)).toEqual([ACTIVE]);
  });

  it('reports and erases its own site only: another site\'s accounts are not sent, its notes and report state stay', async () => {
    const other = forgeSite();
    const { siteId: otherId } = await deps.sites.resolveForgeInstallation({ installationId: other.installationId, cloudId: other.cloudId, siteUrl: other.siteUrl });
    const ELSEWHERE = '5be24c2e8d0a7e3b1f9a0c11';
    const notes = createNotesStore(t.db);
    for (const authorAccountId of [CLOSED, ELSEWHERE]) await notes.create(otherId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId, text: 'elsewhere' });

    expect(await call(triggerClaims(site))).toMatchObject({ status: 200, body: { outcome: 'completed', reported: 2, closed: 1, notesErased: 1 } });
    const sent = (JSON.parse(api.hits[0].body) as { accounts: { accountId: string }[] }).accounts.map((a) => a.accountId);
    expect(sent.sort()).toEqual([ACTIVE, CLOSED].sort());
    // The same closed account on the other site waits for that site's own report.
    expect((await t.db.note.findMany({ where: { siteId: otherId } })).map((n) => n.authorAccountId).sort()).toEqual([CLOSED, ELSEWHERE].sort());
    expect(await t.db.privacyReport.count({ where: { siteId: otherId } })).toBe(0);
  });

  it('a second trigger within the cycle sends nothing', async () => {
    await call(triggerClaims(site));
    expect((await call(triggerClaims(site))).body).toMatchObject({ outcome: 'not-due', batches: 0 });
    expect(api.hits).toHaveLength(1);
  });

  it('without the system token: nothing sent, outcome APP_TOKEN_UNAVAILABLE', async () => {
    expect(await call(triggerClaims(site), {})).toEqual({ status: 200, body: { outcome: 'failed', error: 'APP_TOKEN_UNAVAILABLE' } });
    expect(api.hits).toHaveLength(0);
  });

  const foreign: [string, (s: ForgeSite) => Record<string, unknown>][] = [
    ['a UI module\'s token (notes-ui, with a user)', (s) => ({ ...triggerClaims(s, { type: 'core:endpoint', key: 'notes-ui' }), principal: '557058:someone' })],
    ['the right endpoint key with a user (invokeRemote cannot make it a trigger)', (s) => ({ ...triggerClaims(s), principal: '557058:someone' })],
    ['another endpoint without a user (an event)', (s) => triggerClaims(s, { type: 'core:endpoint', key: 'forge-events' })],
    ['a module of another type with this key', (s) => triggerClaims(s, { type: 'jira:issuePanel', key: 'forge-privacy-report' })],
    ['no module claim', (s) => {
      const c = triggerClaims(s);
      delete (c.app as Record<string, unknown>).module;
      return c;
    }],
  ];
  for (const [name, claims] of foreign) {
    it(`refuses ${name} with 403 FORGE_MODULE_NOT_ALLOWED, changing nothing`, async () => {
      expect(await call(claims(site))).toMatchObject({ status: 403, body: { error: 'FORGE_MODULE_NOT_ALLOWED' } });
      await untouched();
    });
  }

  it('refuses forged tokens with their codes, changing nothing', async () => {
    for (const forged of await forgedFits(key, stranger, site)) {
      try {
        await receivePrivacyTrigger(forgeCall(PATH, forged.token, { body: {}, headers: { 'x-forge-oauth-system': SYSTEM_TOKEN } }), deps);
        throw new Error(`${forged.name} was accepted`);
      } catch (err) {
        expect(err, forged.name).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code, forged.name).toBe(forged.code);
      }
    }
    await untouched();
  });

  it('sends the system token nowhere but Atlassian\'s API origin (or loopback when allowed)', async () => {
    deps.product = { allowLocalApi: false };
    expect(await call(triggerClaims(site))).toEqual({ status: 200, body: { outcome: 'failed', error: 'URL_NOT_ALLOWED' } });
    expect(api.hits).toHaveLength(0);
  });
});
