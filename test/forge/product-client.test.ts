/**
 * Calling Jira from the remote with the tokens Forge sent (lib/forge/product-client.ts), against real HTTP
 * servers on loopback playing api.atlassian.com: the base is pinned, tokens go nowhere else, redirects are
 * followed only within the base, and the sample's issue details work through the Forge door on the same code
 * path as the Connect door (lib/notes/issue-details.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductApiError } from '@/lib/connect/product-error';
import type { ForgeRemoteRequest } from '@/lib/forge/invocation-token';
import { forgeApiBase, forgeProductClient } from '@/lib/forge/product-client';
import { handle } from '@/lib/http/responses';
import { DisplayNameCache, issueDetailsFor, type IssueDetails } from '@/lib/notes/issue-details';
import { json, startServer, type TestServer } from '../helpers/fake-product-api';
import { ALICE, BOB } from '../notes/helpers';
import { forgeCall } from './helpers/forge-door';

const CLOUD_ID = 'd0d52620-3203-4cfa-8db5-f2587155f0dd';
const SYSTEM_TOKEN = 'system-token-opaque-1';
const USER_TOKEN = 'user-token-opaque-1';

let api: TestServer;
let elsewhere: TestServer;

beforeAll(async () => {
  elsewhere = await startServer((_hit, res) => json(res, 200, { stolen: true }));
  api = await startServer((hit, res) => {
    const base = `/ex/jira/${CLOUD_ID}`;
    const auth = hit.headers.authorization;
    if (hit.url === `${base}/redirect-away`) return res.writeHead(302, { location: `${elsewhere.origin}/steal` }).end();
    if (hit.url === `${base}/redirect-out-of-base`) return res.writeHead(302, { location: `/ex/jira/00000000-0000-4000-8000-000000000000/rest/api/3/myself` }).end();
    if (hit.url === `${base}/redirect-within`) return res.writeHead(307, { location: `${base}/rest/api/3/myself` }).end();
    if (auth !== `Bearer ${SYSTEM_TOKEN}` && auth !== `Bearer ${USER_TOKEN}`) return json(res, 401, { errorMessages: ['no'] });
    const as = auth === `Bearer ${SYSTEM_TOKEN}` ? 'app' : 'user';
    if (hit.url === `${base}/rest/api/3/myself`) return json(res, 200, { as });
    if (hit.url.startsWith(`${base}/rest/api/3/issue/NOTE-1`)) return json(res, 200, { fields: { summary: `Summary seen by ${as}` } });
    if (hit.url.startsWith(`${base}/rest/api/3/user?accountId=`)) {
      const id = decodeURIComponent(hit.url.split('accountId=')[1]);
      return json(res, 200, { accountId: id, displayName: `${id} (as ${as})` });
    }
    return json(res, 404, { errorMessages: ['not found'] });
  });
});
afterAll(async () => {
  await api.close();
  await elsewhere.close();
});

function forgeRequest(overrides: { appSystemToken?: string | null; appUserToken?: string | null; accountId?: string; apiBaseUrl?: string; issueKey?: string } = {}): ForgeRemoteRequest {
  return {
    invocation: {
      appId: 'ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107',
      installationId: 'ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5',
      apiBaseUrl: overrides.apiBaseUrl ?? `${api.origin}/ex/jira/${CLOUD_ID}`,
      appVersion: '1.0.0',
      environment: undefined,
      module: undefined,
      license: undefined,
      cloudId: CLOUD_ID,
      siteUrl: 'https://example.atlassian.net',
      accountId: overrides.accountId ?? ALICE,
      context: undefined,
      claims: {},
    },
    appSystemToken: overrides.appSystemToken === null ? undefined : (overrides.appSystemToken ?? SYSTEM_TOKEN),
    appUserToken: overrides.appUserToken === null ? undefined : (overrides.appUserToken ?? USER_TOKEN),
  };
}

async function failure(run: () => unknown): Promise<ProductApiError> {
  const err = await Promise.resolve().then(run).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProductApiError);
  return err as ProductApiError;
}

describe('the Forge product base', () => {
  it('without a local signer is https://api.atlassian.com and nothing else', async () => {
    expect(forgeApiBase(`https://api.atlassian.com/ex/jira/${CLOUD_ID}`, false)).toEqual({ origin: 'https://api.atlassian.com', path: `/ex/jira/${CLOUD_ID}` });
    for (const url of [`${api.origin}/ex/jira/${CLOUD_ID}`, `https://api.atlassian.com.evil.example/ex/jira/${CLOUD_ID}`, `http://api.atlassian.com/ex/jira/${CLOUD_ID}`, `https://evil.example/ex/jira/${CLOUD_ID}`, undefined]) {
      expect((await failure(() => forgeApiBase(url, false))).code).toBe('URL_NOT_ALLOWED');
    }
  });

  it('with a local signer (the simulator) also accepts plain http on this machine, not elsewhere', async () => {
    expect(forgeApiBase(`${api.origin}/ex/jira/${CLOUD_ID}`, true).origin).toBe(api.origin);
    expect((await failure(() => forgeApiBase(`http://forge.example.com/ex/jira/${CLOUD_ID}`, true))).code).toBe('URL_NOT_ALLOWED');
  });
});

describe('forgeProductClient', () => {
  const client = (overrides: Parameters<typeof forgeRequest>[0] = {}) => forgeProductClient(forgeRequest(overrides), { allowLocalApi: true, timeoutMs: 2000 });

  it('calls <apiBaseUrl>/rest/api/3/... with the app system token as the app and the user token as the user', async () => {
    expect(await client().asApp().getJson('/rest/api/3/myself')).toEqual({ as: 'app' });
    expect(await client().asUser(ALICE).getJson('/rest/api/3/myself')).toEqual({ as: 'user' });
  });

  it('acts as the invoking user only, and says so when Forge sent no token', async () => {
    expect((await failure(() => client().asUser(BOB))).code).toBe('IMPERSONATION_UNAVAILABLE');
    expect((await failure(() => client({ appUserToken: null }).asUser(ALICE))).code).toBe('IMPERSONATION_UNAVAILABLE');
    expect((await failure(() => client({ appSystemToken: null }).asApp())).code).toBe('APP_TOKEN_UNAVAILABLE');
  });

  it('never sends a token off the base: absolute URLs elsewhere, traversal, and redirects away are refused', async () => {
    const before = elsewhere.hits.length;
    expect((await failure(() => client().asApp().getJson(`${elsewhere.origin}/steal`))).code).toBe('URL_NOT_ALLOWED');
    expect((await failure(() => client().asApp().getJson('/../../other/rest/api/3/myself'))).code).toBe('URL_NOT_ALLOWED');
    expect((await failure(() => client().asApp().getJson('/redirect-away'))).code).toBe('REDIRECT_NOT_ALLOWED');
    expect((await failure(() => client().asApp().getJson('/redirect-out-of-base'))).code).toBe('REDIRECT_NOT_ALLOWED');
    expect(elsewhere.hits.length).toBe(before);
    expect(api.hits.some((h) => h.url.includes('00000000-0000-4000-8000-000000000000'))).toBe(false);
  });

  it('follows a redirect within the base, with the token', async () => {
    expect(await client().asUser(ALICE).getJson('/redirect-within')).toEqual({ as: 'user' });
  });
});

describe('issue details through the Forge door', () => {
  const details = async (caller: { boundIssueKey?: string; accountId?: string }, query: string, overrides: Parameters<typeof forgeRequest>[0] = {}) => {
    const forge = forgeRequest({ ...overrides, accountId: caller.accountId });
    const request = forgeCall(`/api/forge/issue-details${query}`, 'unused-here');
    const response = await handle(() => issueDetailsFor({ siteId: 'site-1', ...caller }, request, forgeProductClient(forge, { allowLocalApi: true }), new DisplayNameCache()));
    expect(response.status).toBe(200);
    return (await response.json()) as IssueDetails;
  };

  it('the bound issue’s summary as the app, names as the user: the Connect door’s rules', async () => {
    const body = await details({ boundIssueKey: 'NOTE-1', accountId: ALICE }, `?issueKey=NOTE-1&accountIds=${ALICE},${BOB}`);
    expect(body.issue).toEqual({ key: 'NOTE-1', summary: 'Summary seen by app', reason: null, via: 'app' });
    expect(body.users.map((u) => [u.displayName, u.via])).toEqual([[`${ALICE} (as user)`, 'user'], [`${BOB} (as user)`, 'user']]);
  });

  it('from a global page the summary is fetched as the user; without a user token names fall back to the app', async () => {
    expect((await details({ accountId: ALICE }, '?issueKey=NOTE-1')).issue).toMatchObject({ summary: 'Summary seen by user', via: 'user' });
    const body = await details({ accountId: ALICE }, `?accountIds=${BOB}`, { appUserToken: null });
    expect(body.users).toEqual([{ accountId: BOB, displayName: `${BOB} (as app)`, reason: null, via: 'app' }]);
  });
});
