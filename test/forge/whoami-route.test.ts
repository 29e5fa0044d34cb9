import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ID, APP_ID, CLOUD_ID, INSTALLATION_ID, fitClaims, forgeRequest, signFit, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';

let key: SigningKey;
let jwks: JwksServer;

beforeAll(async () => {
  key = await signingKey('forge-key-1');
  jwks = await startJwksServer([key.publicJwk]);
});
afterAll(() => jwks.close());
afterEach(() => vi.unstubAllEnvs());

/** The route as a fresh process would load it, with this environment. */
async function route(env: Record<string, string>) {
  vi.resetModules();
  vi.stubEnv('CONNECT_LOG', 'silent');
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return import('@/app/api/forge/whoami/route');
}

describe('GET /api/forge/whoami (Forge Remote)', () => {
  it('answers who is calling, from the verified invocation token', async () => {
    const { GET } = await route({ FORGE_APP_ID: APP_ID, FORGE_JWKS_URL: jwks.url });
    const response = await GET(forgeRequest(await signFit(key)));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ installationId: INSTALLATION_ID, cloudId: CLOUD_ID, accountId: ACCOUNT_ID });
  });

  it('answers null for a user the UI invocation does not carry', async () => {
    const { GET } = await route({ FORGE_APP_ID: APP_ID, FORGE_JWKS_URL: jwks.url });
    const { principal: _p, ...claims } = fitClaims();
    expect(await (await GET(forgeRequest(await signFit(key, claims)))).json()).toEqual({ installationId: INSTALLATION_ID, cloudId: CLOUD_ID, accountId: null });
  });

  it('refuses (403 FORGE_MODULE_NOT_ALLOWED) a backend invocation: only the app’s UI modules call it', async () => {
    const { GET } = await route({ FORGE_APP_ID: APP_ID, FORGE_JWKS_URL: jwks.url });
    const { context: _c, principal: _p, ...claims } = fitClaims();
    const app = { ...(claims.app as object), module: { type: 'core:endpoint', key: 'forge-events' } };
    const response = await GET(forgeRequest(await signFit(key, { ...claims, app })));
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'FORGE_MODULE_NOT_ALLOWED' });
  });

  it('answers 401 with the error code when the token is missing or wrong', async () => {
    const { GET } = await route({ FORGE_APP_ID: APP_ID, FORGE_JWKS_URL: jwks.url });
    const missing = await GET(forgeRequest(undefined));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'TOKEN_MISSING' });
    const expired = await GET(forgeRequest(await signFit(key, fitClaims(Math.floor(Date.now() / 1000) - 300))));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: 'TOKEN_EXPIRED' });
  });

  it('rejects tokens for another Forge app', async () => {
    const { GET } = await route({ FORGE_APP_ID: 'ari:cloud:ecosystem::app/00000000-1111-4222-8333-444444444444', FORGE_JWKS_URL: jwks.url });
    const response = await GET(forgeRequest(await signFit(key)));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'WRONG_AUDIENCE' });
  });

  it('does not exist (404) on an app without FORGE_APP_ID, rather than accepting any audience', async () => {
    const { GET } = await route({ FORGE_APP_ID: '', FORGE_JWKS_URL: jwks.url });
    const response = await GET(forgeRequest(await signFit(key)));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'NOT_FOUND' });
  });
});
