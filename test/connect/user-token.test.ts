/**
 * Requests as a user (JWT bearer grant, "User impersonation for Connect apps"). A fake OAuth server
 * checks each assertion with atlassian-jwt and issues tokens the fake product accepts.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostClient, type HostClientOptions } from '@/lib/connect/host-client';
import { ProductApiError } from '@/lib/connect/product-error';
import { UserTokenCache, userAccessToken } from '@/lib/connect/user-token';
import { json, startFakeAtlassian, startServer, type FakeAtlassian, type TestServer } from '../helpers/fake-product-api';

const ACCOUNT = '5b10ac8d82e05b22cc7d4ef5';
const OTHER_ACCOUNT = '557058:f0e6a3c1-93b5-4c4e-9a6c-1f2e3d4c5b6a';
const SCOPES = ['READ', 'ACT_AS_USER'];

let jira: FakeAtlassian;
let confluence: FakeAtlassian;
let evil: TestServer;
beforeAll(async () => {
  [jira, confluence, evil] = await Promise.all([
    startFakeAtlassian(),
    startFakeAtlassian({ contextPath: '/wiki' }),
    startServer((_hit, res) => json(res, 200, { stolen: true })),
  ]);
});
afterAll(async () => {
  await Promise.all([jira.close(), confluence.close(), evil.close()]);
});
function resetRoutes() {
  for (const site of [jira, confluence]) {
    site.oauth.route(undefined);
    site.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url, caller: call.caller }));
  }
}
beforeAll(resetRoutes);
afterEach(resetRoutes);

/** Options for a client of `site` with its own token cache, so tests do not share tokens. */
function opts(site: FakeAtlassian, extra: HostClientOptions = {}): HostClientOptions {
  return { oauthUrl: site.oauth.url, scopes: SCOPES, userTokenCache: new UserTokenCache(), ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<ProductApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProductApiError);
  return err as ProductApiError;
}

describe('asUser: the token exchange', () => {
  it('calls the product with the access token issued for the user', async () => {
    const before = jira.oauth.exchanges.length;
    const body = await hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).getJson<{ caller: unknown }>('/rest/api/3/myself');
    expect(body.caller).toEqual({ as: 'user', accountId: ACCOUNT, scope: 'ACT_AS_USER READ' });
    const exchange = jira.oauth.exchanges.at(-1)!;
    expect(jira.oauth.exchanges.length).toBe(before + 1);
    expect(jira.product.calls.at(-1)!.hit.headers.authorization).toBe(`Bearer ${exchange.accessToken}`);
  });

  it('posts the JWT bearer grant to {oauthUrl}/oauth2/token as a form', async () => {
    await hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    const hit = jira.oauth.hits.at(-1)!;
    expect([hit.method, hit.url, hit.headers['content-type']]).toEqual(['POST', '/oauth2/token', 'application/x-www-form-urlencoded']);
    const { form } = jira.oauth.exchanges.at(-1)!;
    expect(Object.keys(form).sort()).toEqual(['assertion', 'grant_type', 'scope']);
    expect(form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
  });

  it('signs the assertion with the documented claims, HS256 with the shared secret', async () => {
    await hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    const { assertion } = jira.oauth.exchanges.at(-1)!.form;
    expect(decodeProtectedHeader(assertion!)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(assertion!, new TextEncoder().encode(jira.tenant.sharedSecret), { algorithms: ['HS256'] });
    expect(payload).toEqual({
      iss: `urn:atlassian:connect:clientid:${jira.tenant.oauthClientId}`,
      sub: `urn:atlassian:connect:useraccountid:${ACCOUNT}`,
      tnt: jira.tenant.baseUrl,
      aud: jira.oauth.url,
      iat: expect.any(Number),
      exp: payload.iat! + 60,
    });
  });

  it('puts the context path in tnt for Confluence (…/wiki) and calls under it', async () => {
    const body = await hostClient(confluence.tenant, opts(confluence)).asUser(ACCOUNT).getJson<{ path: string }>('/rest/api/user/current');
    expect(body.path).toBe('/wiki/rest/api/user/current');
    expect(confluence.oauth.exchanges.at(-1)!.claims.tnt).toBe(confluence.tenant.baseUrl);
    expect(confluence.tenant.baseUrl).toMatch(/\/wiki$/);
  });

  it('requests the scopes upper-case and space-separated', async () => {
    await hostClient(jira.tenant, opts(jira, { scopes: ['read', 'write', 'act_as_user', 'READ'] })).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    expect(jira.oauth.exchanges.at(-1)!.form.scope).toBe('ACT_AS_USER READ WRITE');
  });

  it('by default requests the descriptor’s scopes', async () => {
    const { scopes: _omit, ...noScopes } = opts(jira);
    await hostClient(jira.tenant, noScopes).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    expect(jira.oauth.exchanges.at(-1)!.form.scope).toBe('ACT_AS_USER READ');
  });

  it('uses the OAuth server URL without a trailing slash as aud', async () => {
    const res = await hostClient(jira.tenant, opts(jira, { oauthUrl: `${jira.oauth.url}/` })).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    expect(res.status).toBe(200);
    expect(jira.oauth.exchanges.at(-1)!.claims.aud).toEqual([jira.oauth.url]);
  });

  it('accepts account IDs with a prefix and colon (557058:…)', async () => {
    const body = await hostClient(jira.tenant, opts(jira)).asUser(OTHER_ACCOUNT).getJson<{ caller: { accountId: string } }>('/rest/api/3/myself');
    expect(body.caller.accountId).toBe(OTHER_ACCOUNT);
  });
});

describe('asUser: token cache', () => {
  it('reuses a token for the same tenant, user and scopes: one exchange for many calls', async () => {
    const options = opts(jira);
    const before = jira.oauth.exchanges.length;
    for (let i = 0; i < 3; i++) await hostClient(jira.tenant, options).asUser(ACCOUNT).fetch(`/rest/api/3/issue/NOTE-${i}`);
    expect(jira.oauth.exchanges.length).toBe(before + 1);
    const tokens = new Set(jira.product.calls.slice(-3).map((c) => c.hit.headers.authorization));
    expect(tokens.size).toBe(1);
  });

  it('concurrent calls share one exchange', async () => {
    const options = opts(jira);
    const before = jira.oauth.exchanges.length;
    await Promise.all(Array.from({ length: 5 }, () => hostClient(jira.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself')));
    expect(jira.oauth.exchanges.length).toBe(before + 1);
  });

  it('keeps tokens apart per user, per scopes and per tenant', async () => {
    const cache = new UserTokenCache();
    const before = jira.oauth.exchanges.length + confluence.oauth.exchanges.length;
    await hostClient(jira.tenant, opts(jira, { userTokenCache: cache })).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    await hostClient(jira.tenant, opts(jira, { userTokenCache: cache })).asUser(OTHER_ACCOUNT).fetch('/rest/api/3/myself');
    await hostClient(jira.tenant, opts(jira, { userTokenCache: cache, scopes: ['READ', 'WRITE', 'ACT_AS_USER'] })).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    await hostClient(confluence.tenant, opts(confluence, { userTokenCache: cache })).asUser(ACCOUNT).fetch('/rest/api/space');
    expect(jira.oauth.exchanges.length + confluence.oauth.exchanges.length).toBe(before + 4);
    expect(cache.size).toBe(4);
    // Scopes differing only in case and order are the same request.
    await hostClient(jira.tenant, opts(jira, { userTokenCache: cache, scopes: ['act_as_user', 'read'] })).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    expect(jira.oauth.exchanges.length + confluence.oauth.exchanges.length).toBe(before + 4);
  });

  it('honours expiry: a token is reused until 30 s before expires_in, then exchanged again', async () => {
    let now = Date.now();
    const clock = () => now;
    const site = await startFakeAtlassian({ expiresIn: 900, now: clock });
    try {
      const options = opts(site, { now: clock });
      const call = async () => expect((await hostClient(site.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself')).status).toBe(200);
      await call();
      now += (900 - 31) * 1000;
      await call();
      expect(site.oauth.exchanges.length).toBe(1);
      now += 2000;
      await call();
      expect(site.oauth.exchanges.length).toBe(2);
    } finally {
      await site.close();
    }
  });

  it('does not cache a token that expires within the safety margin', async () => {
    const site = await startFakeAtlassian({ expiresIn: 5 });
    try {
      const options = opts(site);
      await hostClient(site.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself');
      await hostClient(site.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself');
      expect(site.oauth.exchanges.length).toBe(2);
    } finally {
      await site.close();
    }
  });

  it('is bounded: the least recently used token is evicted', async () => {
    const cache = new UserTokenCache(2);
    const options = opts(jira, { userTokenCache: cache });
    const before = jira.oauth.exchanges.length;
    for (const account of ['acc-1', 'acc-2', 'acc-3']) await hostClient(jira.tenant, options).asUser(account).fetch('/rest/api/3/myself');
    expect(cache.size).toBe(2);
    await hostClient(jira.tenant, options).asUser('acc-3').fetch('/rest/api/3/myself');
    expect(jira.oauth.exchanges.length).toBe(before + 3);
    await hostClient(jira.tenant, options).asUser('acc-1').fetch('/rest/api/3/myself');
    expect(jira.oauth.exchanges.length).toBe(before + 4);
  });

  it('forgets a token the product refuses with 401, so the next call gets a new one', async () => {
    const options = opts(jira);
    const before = jira.oauth.exchanges.length;
    await hostClient(jira.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    jira.product.revoke(jira.oauth.exchanges.at(-1)!.accessToken);
    const refused = await hostClient(jira.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    expect(refused.status).toBe(401);
    const again = await hostClient(jira.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself');
    expect(again.status).toBe(200);
    expect(jira.oauth.exchanges.length).toBe(before + 2);
  });

  it('does not cache failures', async () => {
    const options = opts(jira);
    jira.oauth.route((_hit, res) => json(res, 503, { error: 'temporarily_unavailable' }));
    expect((await rejection(hostClient(jira.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself'))).code).toBe('TOKEN_EXCHANGE_FAILED');
    jira.oauth.route(undefined);
    expect((await hostClient(jira.tenant, options).asUser(ACCOUNT).fetch('/rest/api/3/myself')).status).toBe(200);
  });

  it('userAccessToken can be used directly, with the same cache', async () => {
    const cache = new UserTokenCache();
    const options = { oauthUrl: jira.oauth.url, scopes: SCOPES, cache };
    const a = await userAccessToken(jira.tenant, ACCOUNT, options);
    const b = await userAccessToken(jira.tenant, ACCOUNT, options);
    expect(a).toBe(b);
    expect(cache.size).toBe(1);
  });
});

describe('asUser: refusals and failures', () => {
  it('refuses a tenant without oauthClientId: IMPERSONATION_UNAVAILABLE, nothing sent', async () => {
    const before = jira.oauth.hits.length;
    const err = await rejection((async () => hostClient({ ...jira.tenant, oauthClientId: null }, opts(jira)).asUser(ACCOUNT))());
    expect(err.code).toBe('IMPERSONATION_UNAVAILABLE');
    expect(err.message).toMatch(/oauthClientId/);
    expect(jira.oauth.hits.length).toBe(before);
  });

  it('refuses when the scopes lack ACT_AS_USER', async () => {
    const err = await rejection((async () => hostClient(jira.tenant, opts(jira, { scopes: ['READ', 'WRITE'] })).asUser(ACCOUNT))());
    expect(err.code).toBe('IMPERSONATION_UNAVAILABLE');
    expect(err.message).toMatch(/ACT_AS_USER/);
  });

  it.each(['', 'a b', 'x\ny', '../admin', 'a'.repeat(200)])('refuses an account ID that is not one: %j', async (accountId) => {
    const err = await rejection((async () => hostClient(jira.tenant, opts(jira)).asUser(accountId))());
    expect(err.code).toBe('IMPERSONATION_UNAVAILABLE');
  });

  it('maps a token endpoint error to TOKEN_EXCHANGE_FAILED without echoing the assertion', async () => {
    let assertion = '';
    jira.oauth.route((hit, res) => {
      assertion = new URLSearchParams(hit.body).get('assertion')!;
      json(res, 400, { error: 'invalid_grant', error_description: `Bad assertion ${assertion}` });
    });
    const err = await rejection(hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).getJson('/rest/api/3/myself'));
    expect(err.code).toBe('TOKEN_EXCHANGE_FAILED');
    expect(err.status).toBe(400);
    expect(err.errorMessages[0]).toBe('invalid_grant');
    expect(err.errorMessages[1]).toMatch(/^Bad assertion /);
    const everything = JSON.stringify({ ...err, message: err.message, stack: err.stack });
    for (const part of assertion.split('.')) expect(everything).not.toContain(part);
  });

  it('an answer without access_token is TOKEN_EXCHANGE_FAILED', async () => {
    jira.oauth.route((_hit, res) => json(res, 200, { token_type: 'Bearer', expires_in: 900 }));
    expect((await rejection(hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).fetch('/rest/api/3/myself'))).code).toBe('TOKEN_EXCHANGE_FAILED');
  });

  it('a token endpoint that never answers times out: TOKEN_EXCHANGE_FAILED', async () => {
    jira.oauth.route(() => undefined);
    const err = await rejection(hostClient(jira.tenant, opts(jira, { timeoutMs: 200 })).asUser(ACCOUNT).fetch('/rest/api/3/myself'));
    expect(err.code).toBe('TOKEN_EXCHANGE_FAILED');
    expect(err.message).toMatch(/200 ms/);
  });

  it('does not follow a redirect from the token endpoint (the assertion would go along)', async () => {
    jira.oauth.route((_hit, res) => res.writeHead(307, { location: `${evil.origin}/oauth2/token` }).end());
    const before = evil.hits.length;
    const err = await rejection(hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).fetch('/rest/api/3/myself'));
    expect(err.code).toBe('TOKEN_EXCHANGE_FAILED');
    expect(err.status).toBe(307);
    expect(evil.hits.length).toBe(before);
  });

  it('maps product errors like asApp does (403 → PRODUCT_FORBIDDEN)', async () => {
    jira.product.route((_call, res) => json(res, 403, { errorMessages: ['You cannot comment.'] }));
    const err = await rejection(hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).postJson('/rest/api/3/issue/NOTE-1/comment', { body: 'x' }));
    expect([err.code, err.status, err.errorMessages]).toEqual(['PRODUCT_FORBIDDEN', 403, ['You cannot comment.']]);
  });
});

describe('asUser: same host rules as asApp', () => {
  it('refuses an absolute URL to another host before any token is requested', async () => {
    const before = [jira.oauth.hits.length, evil.hits.length];
    const err = await rejection(hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).fetch(`${evil.origin}/rest/api/3/myself`));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect([jira.oauth.hits.length, evil.hits.length]).toEqual(before);
  });

  it('does not follow a cross-host redirect with the bearer token', async () => {
    jira.product.route((_call, res) => res.writeHead(302, { location: `${evil.origin}/steal` }).end());
    const before = evil.hits.length;
    const err = await rejection(hostClient(jira.tenant, opts(jira)).asUser(ACCOUNT).fetch('/rest/api/3/myself'));
    expect(err.code).toBe('REDIRECT_NOT_ALLOWED');
    expect(evil.hits.length).toBe(before);
  });

  it('follows a same-host redirect with the bearer token', async () => {
    confluence.product.route((call, res) => {
      if (call.hit.url === '/wiki/old') return res.writeHead(302, { location: '/wiki/new' }).end();
      json(res, 200, { path: call.hit.url, caller: call.caller.as });
    });
    expect(await hostClient(confluence.tenant, opts(confluence)).asUser(ACCOUNT).getJson('/old')).toEqual({ path: '/wiki/new', caller: 'user' });
  });

  it('times out on a product that never answers', async () => {
    jira.product.route(() => undefined);
    const err = await rejection(hostClient(jira.tenant, opts(jira, { timeoutMs: 200 })).asUser(ACCOUNT).fetch('/rest/api/3/myself'));
    expect(err.code).toBe('PRODUCT_TIMEOUT');
  });
});
