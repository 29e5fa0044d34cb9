/**
 * Micro-benchmarks of the request-verification hot path. Run with `npx vitest bench --run bench/`.
 * Each figure is the time of one call; 1 / hz is µs per op when hz is in ops/s.
 */
import * as ajwt from 'atlassian-jwt';
import { jwtVerify } from 'jose';
import { afterAll, bench, describe } from 'vitest';
import { verifyConnectRequest } from '@/lib/connect/jwt';
import { computeQsh, qshMatches } from '@/lib/connect/qsh';
import { createForgeKeySet, verifyForgeInvocationToken, verifyForgeRequest } from '@/lib/forge/invocation-token';
import { assertUiInvocation } from '@/lib/forge/route-rules';
import { forgeSiteClaims } from '@/lib/forge/site-claims';
import type { Tenant } from '@/lib/tenants/types';
import { APP_ID, fitClaims, signFit, signingKey, startJwksServer } from '../test/forge/helpers/forge-platform';

const APP_URL = 'https://app.example.com';
const now = Math.floor(Date.now() / 1000);
const tenant: Tenant = {
  clientKey: 'b3d1e9a4-1c2f-4e0b-9a7e-6f1c2b3d4e5f',
  siteId: 'b3d1e9a4-1c2f-4e0b-9a7e-6f1c2b3d4e5f',
  installationId: null,
  key: 'com.example.connect-next',
  baseUrl: 'https://bench.atlassian.net',
  displayUrl: null,
  productType: 'jira',
  description: 'bench',
  sharedSecret: 'ATCOxLt2Bz9tJb7HkH5rQ0yW8pV3mN6sD1fG4hK7lZ2xC5vB8nM0qW3eR6tY9uI',
  oauthClientId: null,
  serverVersion: null,
  pluginsVersion: null,
  state: 'enabled',
  installedAt: new Date(),
  enabledAt: null,
  disabledAt: null,
  uninstalledAt: null,
  updatedAt: new Date(),
  lastLifecycleIat: null,
};
const getTenant = async () => tenant;

// An issue-panel iframe load, with the parameters Jira adds.
const PANEL = `${APP_URL}/issue-panel?issueKey=DEMO-1&issueId=10001&projectKey=DEMO&projectId=10000&xdm_e=https%3A%2F%2Fbench.atlassian.net&xdm_c=channel-com.example.connect-next__issue-panel&cp=&xdm_deprecated_addon_key_do_not_use=com.example.connect-next&lic=active&cv=1001.0.0-SNAPSHOT&tz=Europe%2FParis&loc=en-GB&user_id=&user_key=`;
const request = { method: 'GET', url: PANEL, baseUrl: APP_URL };
const strictToken = ajwt.encodeSymmetric(
  { iss: tenant.clientKey, sub: '557058:account', iat: now, exp: now + 180, qsh: ajwt.createQueryStringHash(ajwt.fromMethodAndUrl('GET', PANEL), false, APP_URL) },
  tenant.sharedSecret,
);
const contextToken = ajwt.encodeSymmetric({ iss: tenant.clientKey, sub: '557058:account', iat: now, exp: now + 900, qsh: 'context-qsh', context: { jira: { issue: { key: 'DEMO-1' } } } }, tenant.sharedSecret);
const strictRequest = new Request(PANEL, { headers: { authorization: `JWT ${strictToken}` } });
const contextRequest = new Request(`${APP_URL}/api/notes`, { method: 'POST', headers: { authorization: `JWT ${contextToken}` } });

const secretBytes = new TextEncoder().encode(tenant.sharedSecret);
const cryptoKey = await crypto.subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
// Longer runs than the default 500 ms: the async WebCrypto path is noisy on a busy machine.
const options = { time: 2000, warmupTime: 500 };

describe('qsh', () => {
  bench('computeQsh (issue panel URL, 14 parameters)', () => {
    computeQsh(request);
  }, options);
  bench('qshMatches (issue panel URL)', () => {
    qshMatches(strictToken, request);
  }, options);
  bench('atlassian-jwt createQueryStringHash (reference)', () => {
    ajwt.createQueryStringHash(ajwt.fromMethodAndUrl('GET', PANEL), false, APP_URL);
  }, options);
});

// The Forge door: a FIT (RS256) against a key set already fetched from a JWKS on loopback (as after the first
// request of a process), then the same with the claims read into a site.
const forgeKey = await signingKey('bench-forge-1');
const jwks = await startJwksServer([forgeKey.publicJwk]);
const forgeKeys = createForgeKeySet({ jwksUrl: jwks.url });
const fit = await signFit(forgeKey, { ...fitClaims(), exp: now + 3600 });
await verifyForgeInvocationToken(fit, { appId: APP_ID, keys: forgeKeys }); // fetches the JWKS once
const forgeRequest = new Request(`${APP_URL}/api/forge/notes`, { headers: { authorization: `Bearer ${fit}` } });
afterAll(() => jwks.close());

describe('verify', () => {
  bench('verifyForgeInvocationToken (RS256, cached JWKS)', async () => {
    await verifyForgeInvocationToken(fit, { appId: APP_ID, keys: forgeKeys });
  }, options);
  bench('verifyForgeRequest + assertUiInvocation + forgeSiteClaims (the Forge door before the database)', async () => {
    const { invocation } = await verifyForgeRequest(forgeRequest, { appId: APP_ID, keys: forgeKeys });
    assertUiInvocation(invocation);
    forgeSiteClaims(invocation);
  }, options);
  bench('verifyConnectRequest strict', async () => {
    await verifyConnectRequest(strictRequest, { mode: 'strict', appBaseUrl: APP_URL, getTenant });
  }, options);
  bench('verifyConnectRequest context', async () => {
    await verifyConnectRequest(contextRequest, { mode: 'context', appBaseUrl: APP_URL, getTenant });
  }, options);
  bench('jose jwtVerify HS256, CryptoKey (baseline)', async () => {
    await jwtVerify(strictToken, cryptoKey, { algorithms: ['HS256'] });
  }, options);
  bench('jose jwtVerify HS256, Uint8Array secret (imports the key per call)', async () => {
    await jwtVerify(strictToken, secretBytes, { algorithms: ['HS256'] });
  }, options);
});
