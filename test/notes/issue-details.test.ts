/**
 * GET /api/issue-details against a fake Jira on 127.0.0.1 that checks every credential with atlassian-jwt
 * (app JWTs) or against the tokens its fake OAuth server issued (users): the summary is fetched as the app,
 * names as the viewer, as the app where impersonation is unavailable, and failures degrade field by field.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { hostClient } from '@/lib/connect/host-client';
import { UserTokenCache } from '@/lib/connect/user-token';
import { handle } from '@/lib/http/responses';
import { DisplayNameCache, MAX_ACCOUNT_IDS, issueDetails, type IssueDetails, type IssueDetailsDeps } from '@/lib/notes/issue-details';
import type { Tenant } from '@/lib/tenants/types';
import { forEachDatabase, type DatabaseContext } from '../helpers/db';
import { json, startFakeAtlassian, type FakeAtlassian } from '../helpers/fake-product-api';
import { ALICE, APP_URL, BOB, NOW, apiRequest, generalToken, installTenant, issueToken, requestToken } from './helpers';

const CAROL = '557058:carol-0003';
const HIDDEN = '557058:hidden-0004';

let jira: FakeAtlassian;
beforeAll(async () => {
  jira = await startFakeAtlassian();
  jira.product.route(({ hit, caller }, res) => {
    const url = new URL(hit.url, 'http://x');
    const issue = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(url.pathname)?.[1];
    if (issue === 'NOTE-1') return json(res, 200, { id: '10001', key: 'NOTE-1', fields: { summary: 'Login fails on Safari' } });
    if (issue === 'SECRET-1') return json(res, 403, { errorMessages: ['You do not have the permission to see the specified issue.'] });
    if (issue) return json(res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'] });
    if (url.pathname === '/rest/api/3/user') {
      const accountId = url.searchParams.get('accountId')!;
      if (accountId === HIDDEN) return json(res, 403, { errorMessages: ['Forbidden'] });
      // The name says who asked, so a test can tell which identity the app used.
      return json(res, 200, { accountId, displayName: `${accountId.split(':')[1].split('-')[0]} (seen by ${caller.as})` });
    }
    return json(res, 404, {});
  });
});
afterAll(() => jira.close());

forEachDatabase('issue details', (t: DatabaseContext) => {
  let tenant: Tenant;
  let names: DisplayNameCache;
  let tokens: UserTokenCache;

  beforeEach(async () => {
    jira.product.calls.length = 0;
    jira.oauth.exchanges.length = 0;
    jira.oauth.route(undefined);
    tenant = await installTenant(t, { ...jira.tenant });
    names = new DisplayNameCache();
    tokens = new UserTokenCache();
  });

  const deps = (): IssueDetailsDeps => ({
    store: t.store,
    appBaseUrl: APP_URL,
    now: NOW,
    displayNames: names,
    hostClient: (tn) => hostClient(tn, { oauthUrl: jira.oauth.url, userTokenCache: tokens, timeoutMs: 3000 }),
  });
  const get = async (token: string | undefined, query: string) => handle(() => issueDetails(apiRequest(`/api/issue-details${query}`, { token }), deps()));
  async function details(token: string, query: string): Promise<IssueDetails> {
    const response = await get(token, query);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return response.json();
  }
  const calls = (pathPrefix: string) => jira.product.calls.filter((c) => c.hit.url.startsWith(pathPrefix));

  it('fetches the summary as the app and each author’s name as the viewing user', async () => {
    const body = await details(issueToken(tenant, 'NOTE-1'), `?issueKey=NOTE-1&accountIds=${BOB},${CAROL}`);
    expect(body).toEqual({
      issue: { key: 'NOTE-1', summary: 'Login fails on Safari', reason: null, via: 'app' },
      users: [
        { accountId: BOB, displayName: 'bob (seen by user)', reason: null, via: 'user' },
        { accountId: CAROL, displayName: 'carol (seen by user)', reason: null, via: 'user' },
      ],
    });
    expect(calls('/rest/api/3/issue/').map((c) => c.caller.as)).toEqual(['app']);
    expect(calls('/rest/api/3/user').map((c) => c.caller)).toEqual([
      expect.objectContaining({ as: 'user', accountId: ALICE }),
      expect.objectContaining({ as: 'user', accountId: ALICE }),
    ]);
    // One token exchange for the viewer, shared by both lookups.
    expect(jira.oauth.exchanges).toHaveLength(1);
  });

  it('falls back to the app where the installation cannot impersonate (no oauthClientId)', async () => {
    // One live installation per site: the site's first installation goes before another takes its baseUrl.
    await t.store.markUninstalled(tenant.clientKey);
    const legacy = await installTenant(t, { ...jira.tenant, clientKey: `${jira.tenant.clientKey}-legacy`, oauthClientId: null });
    const body = await details(issueToken(legacy, 'NOTE-1'), `?issueKey=NOTE-1&accountIds=${BOB}`);
    expect(body.users).toEqual([{ accountId: BOB, displayName: 'bob (seen by app)', reason: null, via: 'app' }]);
    expect(jira.oauth.exchanges).toHaveLength(0);
  });

  it('asks as the app for an anonymous viewer', async () => {
    const body = await details(issueToken(tenant, 'NOTE-1', null), `?issueKey=NOTE-1&accountIds=${BOB}`);
    expect(body.users).toMatchObject([{ displayName: 'bob (seen by app)', via: 'app' }]);
  });

  it('degrades a refused issue (403) to a null summary with the reason, and still answers the names', async () => {
    const body = await details(issueToken(tenant, 'SECRET-1'), `?issueKey=SECRET-1&accountIds=${BOB}`);
    expect(body.issue).toEqual({ key: 'SECRET-1', summary: null, reason: 'PRODUCT_FORBIDDEN', via: null });
    expect(body.users).toMatchObject([{ accountId: BOB, displayName: 'bob (seen by user)' }]);
  });

  it('reports a missing issue as PRODUCT_NOT_FOUND', async () => {
    expect((await details(issueToken(tenant, 'GONE-9'), '?issueKey=GONE-9')).issue).toEqual({ key: 'GONE-9', summary: null, reason: 'PRODUCT_NOT_FOUND', via: null });
  });

  it('fetches the summary as the user, not the app, for a general page’s token (it vouches for no issue)', async () => {
    const body = await details(generalToken(tenant), '?issueKey=NOTE-1');
    expect(body.issue).toEqual({ key: 'NOTE-1', summary: 'Login fails on Safari', reason: null, via: 'user' });
    expect(calls('/rest/api/3/issue/').map((c) => c.caller)).toEqual([expect.objectContaining({ as: 'user', accountId: ALICE })]);
  });

  it('gives no summary to a general page’s token where the app cannot act as the user', async () => {
    expect((await details(generalToken(tenant, null), '?issueKey=NOTE-1')).issue).toMatchObject({ summary: null, reason: 'IMPERSONATION_UNAVAILABLE' });
    // One live installation per site: the site's first installation goes before another takes its baseUrl.
    await t.store.markUninstalled(tenant.clientKey);
    const legacy = await installTenant(t, { ...jira.tenant, clientKey: `${jira.tenant.clientKey}-legacy`, oauthClientId: null });
    expect((await details(generalToken(legacy), '?issueKey=NOTE-1')).issue).toEqual({ key: 'NOTE-1', summary: null, reason: 'IMPERSONATION_UNAVAILABLE', via: null });
    expect(calls('/rest/api/3/issue/')).toHaveLength(0);
  });

  it('degrades a name the user may not see (403) to null, without retrying as the app', async () => {
    const body = await details(issueToken(tenant, 'NOTE-1'), `?issueKey=NOTE-1&accountIds=${HIDDEN},${BOB}`);
    expect(body.users).toEqual([
      { accountId: HIDDEN, displayName: null, reason: 'PRODUCT_FORBIDDEN', via: null },
      { accountId: BOB, displayName: 'bob (seen by user)', reason: null, via: 'user' },
    ]);
    expect(calls(`/rest/api/3/user?accountId=${encodeURIComponent(HIDDEN)}`).map((c) => c.caller.as)).toEqual(['user']);
  });

  it('reports a failed token exchange rather than widening to the app’s view', async () => {
    jira.oauth.route((_, res) => json(res, 503, { error: 'temporarily_unavailable' }));
    const body = await details(issueToken(tenant, 'NOTE-1'), `?issueKey=NOTE-1&accountIds=${BOB}`);
    expect(body.issue).toMatchObject({ summary: 'Login fails on Safari' });
    expect(body.users).toEqual([{ accountId: BOB, displayName: null, reason: 'TOKEN_EXCHANGE_FAILED', via: null }]);
    expect(calls('/rest/api/3/user')).toHaveLength(0);
  });

  it('caches names per tenant and viewer, briefly', async () => {
    await details(issueToken(tenant, 'NOTE-1'), `?accountIds=${BOB}`);
    await details(issueToken(tenant, 'NOTE-1'), `?accountIds=${BOB}`);
    expect(calls('/rest/api/3/user')).toHaveLength(1);
    // Another viewer may see another name (profile visibility): fetched again.
    await details(issueToken(tenant, 'NOTE-1', CAROL), `?accountIds=${BOB}`);
    expect(calls('/rest/api/3/user')).toHaveLength(2);
    // So is another installation, even with the same viewer.
    // One live installation per site: the site's first installation goes before another takes its baseUrl.
    await t.store.markUninstalled(tenant.clientKey);
    const other = await installTenant(t, { ...jira.tenant, clientKey: `${jira.tenant.clientKey}-2` });
    await details(issueToken(other, 'NOTE-1'), `?accountIds=${BOB}`);
    expect(calls('/rest/api/3/user')).toHaveLength(3);
  });

  it('bounds the name cache and expires its entries', async () => {
    let clock = 0;
    const small = new DisplayNameCache({ max: 2, ttlMs: 1000, now: () => clock });
    small.set('c', ALICE, 'a', { displayName: 'A', via: 'user' });
    small.set('c', ALICE, 'b', { displayName: 'B', via: 'user' });
    small.set('c', ALICE, 'c', { displayName: 'C', via: 'user' });
    expect(small.size).toBe(2);
    expect(small.get('c', ALICE, 'a')).toBeUndefined();
    clock = 1000;
    expect(small.get('c', ALICE, 'c')).toBeUndefined();
  });

  it('does not cache a failure', async () => {
    await details(issueToken(tenant, 'NOTE-1'), `?accountIds=${HIDDEN}`);
    await details(issueToken(tenant, 'NOTE-1'), `?accountIds=${HIDDEN}`);
    expect(calls('/rest/api/3/user')).toHaveLength(2);
  });

  it('answers names alone, with issue null, for any token of the site', async () => {
    const body = await details(issueToken(tenant, 'NOTE-1'), `?accountIds=${BOB},${BOB}`);
    expect(body.issue).toBeNull();
    expect(body.users).toHaveLength(1);
    expect((await details(generalToken(tenant), '')).users).toEqual([]);
  });

  it(`refuses more than ${MAX_ACCOUNT_IDS} account ids, and malformed ones (400), before calling the product`, async () => {
    const many = Array.from({ length: MAX_ACCOUNT_IDS + 1 }, (_, i) => `557058:user-${i}`).join(',');
    expect((await get(generalToken(tenant), `?accountIds=${many}`)).status).toBe(400);
    expect((await get(generalToken(tenant), `?accountIds=${encodeURIComponent('a b')}`)).status).toBe(400);
    expect((await get(generalToken(tenant), `?accountIds=${encodeURIComponent('../x')}`)).status).toBe(400);
    expect(jira.product.calls).toHaveLength(0);
  });

  it('refuses an invalid issue key (400) and another issue than the token’s (403)', async () => {
    expect(await (await get(generalToken(tenant), '?issueKey=note-1')).json()).toMatchObject({ error: 'BAD_REQUEST' });
    const other = await get(issueToken(tenant, 'NOTE-1'), '?issueKey=NOTE-2');
    expect(other.status).toBe(403);
    expect(jira.product.calls).toHaveLength(0);
  });

  it('refuses a request token (401 QSH_MISMATCH) and a missing token (401)', async () => {
    const strict = requestToken(tenant, 'GET', `${APP_URL}/api/issue-details?issueKey=NOTE-1`);
    expect(await (await get(strict, '?issueKey=NOTE-1')).json()).toMatchObject({ error: 'QSH_MISMATCH' });
    expect(await (await get(undefined, '?issueKey=NOTE-1')).json()).toMatchObject({ error: 'TOKEN_MISSING' });
    expect(jira.product.calls).toHaveLength(0);
  });
});
