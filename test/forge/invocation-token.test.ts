import { createHmac } from 'node:crypto';
import { SignJWT, exportSPKI, importJWK, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { createForgeKeySet, verifyForgeInvocationToken, verifyForgeRequest, type ForgeKeySet } from '@/lib/forge/invocation-token';
import {
  ACCOUNT_ID,
  APP_ID,
  CLOUD_ID,
  INSTALLATION_ID,
  OTHER_APP_ID,
  fitClaims,
  forgeRequest,
  signFit,
  signingKey,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from './helpers/forge-platform';

let key: SigningKey;
let server: JwksServer;
let keys: ForgeKeySet;

beforeAll(async () => {
  key = await signingKey('forge-key-1');
  server = await startJwksServer([key.publicJwk]);
  keys = createForgeKeySet({ jwksUrl: server.url, cooldownMs: 0 });
});

afterAll(() => server.close());

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

const verify = (token: string, appId = APP_ID) => verifyForgeInvocationToken(token, { appId, keys });

function unsigned(header: object, claims: object): string {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`;
}

describe('Forge Invocation Token verification', () => {
  it('accepts a token Forge signed for this app and returns what it says', async () => {
    const invocation = await verify(await signFit(key));
    expect(invocation).toMatchObject({
      appId: APP_ID,
      installationId: INSTALLATION_ID,
      apiBaseUrl: `https://api.atlassian.com/ex/jira/${CLOUD_ID}`,
      appVersion: '16.0.1',
      environment: { type: 'DEVELOPMENT' },
      module: { type: 'jira:issuePanel', key: 'issue-notes-forge' },
      cloudId: CLOUD_ID,
      siteUrl: 'https://example.atlassian.net',
      accountId: ACCOUNT_ID,
      context: { cloudId: CLOUD_ID, moduleKey: 'issue-notes-forge' },
    });
    expect(invocation.claims.jti).toBe('d8a496253ec8c18a54631e4c82cbedd5d0ae8570');
  });

  it('accepts a backend invocation, which carries no context and no principal', async () => {
    const { context: _context, principal: _principal, ...claims } = fitClaims();
    const invocation = await verify(await signFit(key, claims));
    expect(invocation).toMatchObject({ installationId: INSTALLATION_ID, cloudId: undefined, accountId: undefined, context: undefined });
  });

  it('rejects a token issued by anyone but Forge (ISSUER_MISMATCH)', async () => {
    const err = await rejection(verify(await signFit(key, { ...fitClaims(), iss: 'someone-else' })));
    expect(err.code).toBe('ISSUER_MISMATCH');
  });

  it('rejects a token for another app (WRONG_AUDIENCE)', async () => {
    const err = await rejection(verify(await signFit(key), OTHER_APP_ID));
    expect(err.code).toBe('WRONG_AUDIENCE');
  });

  it('rejects a token whose app.id disagrees with its audience (CLAIM_INVALID)', async () => {
    const claims = fitClaims();
    const err = await rejection(verify(await signFit(key, { ...claims, app: { ...(claims.app as object), id: OTHER_APP_ID } })));
    expect(err.code).toBe('CLAIM_INVALID');
  });

  it('rejects a token without app.installationId (CLAIM_INVALID): remote data is keyed by it', async () => {
    const claims = fitClaims();
    const { installationId: _, ...app } = claims.app as Record<string, unknown>;
    const err = await rejection(verify(await signFit(key, { ...claims, app })));
    expect(err.code).toBe('CLAIM_INVALID');
  });

  it('rejects an expired token (TOKEN_EXPIRED)', async () => {
    const err = await rejection(verify(await signFit(key, fitClaims(Math.floor(Date.now() / 1000) - 120))));
    expect(err.code).toBe('TOKEN_EXPIRED');
  });

  it('forgives a few seconds of clock skew, no more', async () => {
    const justExpired = fitClaims(Math.floor(Date.now() / 1000) - 27);
    await expect(verify(await signFit(key, justExpired))).resolves.toMatchObject({ installationId: INSTALLATION_ID });
  });

  it('rejects a token without exp, which would never expire (CLAIM_INVALID)', async () => {
    const { exp: _, ...claims } = fitClaims();
    const err = await rejection(verify(await signFit(key, claims)));
    expect(err.code).toBe('CLAIM_INVALID');
  });

  it('rejects a token not valid yet (TOKEN_NOT_YET_VALID)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await rejection(verify(await signFit(key, { ...fitClaims(now), nbf: now + 600, exp: now + 900 })));
    expect(err.code).toBe('TOKEN_NOT_YET_VALID');
  });

  it('rejects a token signed by a key that is not in the JWKS (UNKNOWN_KEY)', async () => {
    const stranger = await signingKey('not-published');
    const err = await rejection(verify(await signFit(stranger)));
    expect(err.code).toBe('UNKNOWN_KEY');
  });

  it('rejects a published kid with someone else’s signature (BAD_SIGNATURE)', async () => {
    const forger = await signingKey(key.kid);
    const err = await rejection(verify(await signFit(forger)));
    expect(err.code).toBe('BAD_SIGNATURE');
  });

  it('rejects HS256 signed with the public key as the secret: the algorithm confusion attack (WRONG_ALGORITHM)', async () => {
    const pem = await exportSPKI((await importJWK(key.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    const hs256 = await new SignJWT(fitClaims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(pem));
    const err = await rejection(verify(hs256));
    expect(err.code).toBe('WRONG_ALGORITHM');
  });

  it('(the confusion token above is a genuine HS256 MAC keyed with the public key PEM, as an attacker would make it)', async () => {
    const pem = await exportSPKI((await importJWK(key.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    const token = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(pem));
    const [h, p, sig] = token.split('.');
    expect(createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url')).toBe(sig);
  });

  it('rejects an unsigned token, alg none (WRONG_ALGORITHM)', async () => {
    const err = await rejection(verify(unsigned({ alg: 'none', kid: key.kid }, fitClaims())));
    expect(err.code).toBe('WRONG_ALGORITHM');
  });

  it('rejects a token that is not a JWT (TOKEN_MALFORMED)', async () => {
    expect((await rejection(verify('not-a-jwt'))).code).toBe('TOKEN_MALFORMED');
  });

  it('rejects a token with a forged payload under a genuine signature (BAD_SIGNATURE)', async () => {
    const [header, , signature] = (await signFit(key)).split('.');
    const payload = base64url.encode(JSON.stringify({ ...fitClaims(), principal: 'attacker' }));
    expect((await rejection(verify(`${header}.${payload}.${signature}`))).code).toBe('BAD_SIGNATURE');
  });

  it('never puts the token in the error message', async () => {
    const token = await signFit(key, fitClaims(Math.floor(Date.now() / 1000) - 120));
    const err = await rejection(verify(token));
    expect(err.message).not.toContain(token.split('.')[1]);
  });
});

describe('Forge key set', () => {
  it('fetches the JWKS once and serves later tokens from its cache', async () => {
    const jwks = await startJwksServer([key.publicJwk]);
    try {
      const cached = createForgeKeySet({ jwksUrl: jwks.url });
      for (let i = 0; i < 3; i++) await verifyForgeInvocationToken(await signFit(key), { appId: APP_ID, keys: cached });
      expect(jwks.fetches()).toBe(1);
    } finally {
      await jwks.close();
    }
  });

  it('picks up a rotated key: an unknown kid refetches the JWKS', async () => {
    const jwks = await startJwksServer([key.publicJwk]);
    try {
      const rotating = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0 });
      await verifyForgeInvocationToken(await signFit(key), { appId: APP_ID, keys: rotating });
      const next = await signingKey('forge-key-2');
      jwks.publish([key.publicJwk, next.publicJwk]);
      await expect(verifyForgeInvocationToken(await signFit(next), { appId: APP_ID, keys: rotating })).resolves.toMatchObject({ appId: APP_ID });
      expect(jwks.fetches()).toBe(2);
    } finally {
      await jwks.close();
    }
  });

  it('verifies a token without kid against each published key', async () => {
    const other = await signingKey('forge-key-0');
    const jwks = await startJwksServer([other.publicJwk, key.publicJwk]);
    try {
      const both = createForgeKeySet({ jwksUrl: jwks.url });
      await expect(verifyForgeInvocationToken(await signFit(key, fitClaims(), { kid: null }), { appId: APP_ID, keys: both })).resolves.toMatchObject({ appId: APP_ID });
      const stranger = await signingKey('x');
      const err = await rejection(verifyForgeInvocationToken(await signFit(stranger, fitClaims(), { kid: null }), { appId: APP_ID, keys: both }));
      expect(err.code).toBe('BAD_SIGNATURE');
    } finally {
      await jwks.close();
    }
  });

  it('answers KEY_SERVER_UNAVAILABLE (503) when the JWKS cannot be fetched, so Forge can retry', async () => {
    const jwks = await startJwksServer([key.publicJwk]);
    jwks.fail(500);
    try {
      const down = createForgeKeySet({ jwksUrl: jwks.url });
      const err = await rejection(verifyForgeInvocationToken(await signFit(key), { appId: APP_ID, keys: down }));
      expect(err.code).toBe('KEY_SERVER_UNAVAILABLE');
      expect(err.status).toBe(503);
    } finally {
      await jwks.close();
    }
  });

  it('answers KEY_SERVER_UNAVAILABLE when the key server does not answer at all', async () => {
    const jwks = await startJwksServer([]);
    const url = jwks.url;
    await jwks.close();
    const err = await rejection(verifyForgeInvocationToken(await signFit(key), { appId: APP_ID, keys: createForgeKeySet({ jwksUrl: url }) }));
    expect(err.code).toBe('KEY_SERVER_UNAVAILABLE');
  });
});

describe('Forge Remote requests', () => {
  it('verifies the bearer FIT and hands over the system and user tokens as sent', async () => {
    const request = forgeRequest(await signFit(key), { 'x-forge-oauth-system': 'system-token', 'x-forge-oauth-user': 'user-token' });
    const remote = await verifyForgeRequest(request, { appId: APP_ID, keys });
    expect(remote.invocation.installationId).toBe(INSTALLATION_ID);
    expect(remote.appSystemToken).toBe('system-token');
    expect(remote.appUserToken).toBe('user-token');
  });

  it('leaves the tokens undefined when the manifest did not ask for them', async () => {
    const remote = await verifyForgeRequest(forgeRequest(await signFit(key)), { appId: APP_ID, keys });
    expect(remote.appSystemToken).toBeUndefined();
    expect(remote.appUserToken).toBeUndefined();
  });

  it('rejects a request without a token (TOKEN_MISSING, 401)', async () => {
    const err = await rejection(verifyForgeRequest(forgeRequest(undefined), { appId: APP_ID, keys }));
    expect(err.code).toBe('TOKEN_MISSING');
    expect(err.status).toBe(401);
  });

  it('rejects a token sent with another scheme, e.g. Connect’s "JWT" (TOKEN_MISSING)', async () => {
    const request = forgeRequest(undefined, { authorization: `JWT ${await signFit(key)}` });
    expect((await rejection(verifyForgeRequest(request, { appId: APP_ID, keys }))).code).toBe('TOKEN_MISSING');
  });

  it('accepts the Bearer scheme in any case (RFC 7235)', async () => {
    const request = forgeRequest(undefined, { authorization: `bearer ${await signFit(key)}` });
    await expect(verifyForgeRequest(request, { appId: APP_ID, keys })).resolves.toMatchObject({ invocation: { appId: APP_ID } });
  });

  it('trusts only the signed token: an unsigned header cannot change the identity', async () => {
    const request = forgeRequest(await signFit(key), { 'x-forge-installation-id': 'ari:cloud:ecosystem::installation/evil' });
    const remote = await verifyForgeRequest(request, { appId: APP_ID, keys });
    expect(remote.invocation.installationId).toBe(INSTALLATION_ID);
  });
});
