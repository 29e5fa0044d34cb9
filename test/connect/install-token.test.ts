import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { createInstallKeyResolver, verifyInstallToken } from '@/lib/connect/install-token';
import { APP_URL, lifecycleRequest, rsaKeyPair, signInstallToken, startKeyServer, type KeyServer } from '../helpers/product';

let keys: KeyServer;
beforeAll(async () => {
  keys = await startKeyServer();
});
afterAll(() => keys.close());

const URL_INSTALLED = `${APP_URL}/api/lifecycle/installed`;

function verify(token: string | undefined, options: { url?: string; resolver?: ReturnType<typeof createInstallKeyResolver> } = {}) {
  const request = token === undefined ? lifecycleRequest('installed', {}) : new Request(options.url ?? URL_INSTALLED, { method: 'POST', headers: { authorization: `JWT ${token}` } });
  return verifyInstallToken(request, { appBaseUrl: APP_URL, resolveKey: options.resolver ?? createInstallKeyResolver({ keysUrls: [keys.url] }) });
}

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  const err = await promise.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

describe('signed install token', () => {
  it('accepts a token signed by Atlassian’s key for this app and this request', async () => {
    const result = await verify(signInstallToken(keys, 'client-1', URL_INSTALLED));
    expect(result.clientKey).toBe('client-1');
  });

  it('accepts an audience with a trailing slash', async () => {
    const result = await verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { claims: { aud: `${APP_URL}/` } }));
    expect(result.clientKey).toBe('client-1');
  });

  it('rejects a missing token', async () => {
    expect((await rejection(verify(undefined))).code).toBe('TOKEN_MISSING');
  });

  it('rejects a malformed token', async () => {
    expect((await rejection(verify('not.a.jwt'))).code).toBe('TOKEN_MALFORMED');
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: keys.kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ iss: 'client-1', aud: APP_URL, exp: 9999999999 })).toString('base64url');
    expect((await rejection(verify(`${header}.${body}.`))).code).toBe('WRONG_ALGORITHM');
  });

  it('rejects an HS256 install token (signed with the secret it would deliver)', async () => {
    const token = await new SignJWT({ qsh: 'x' }).setProtectedHeader({ alg: 'HS256', kid: keys.kid }).setIssuer('client-1').setAudience(APP_URL).setIssuedAt().setExpirationTime('3m').sign(new TextEncoder().encode('a-shared-secret-of-enough-length'));
    expect((await rejection(verify(token))).code).toBe('WRONG_ALGORITHM');
  });

  it('rejects a token signed with another RSA key under Atlassian’s kid', async () => {
    const other = rsaKeyPair();
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { privateKeyPem: other.privateKeyPem })))).code).toBe('BAD_SIGNATURE');
  });

  it('rejects an RS384 token even when the key matches', async () => {
    const { privateKey } = await generateKeyPair('RS384');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS384', kid: keys.kid }).setIssuer('c').setAudience(APP_URL).setIssuedAt().setExpirationTime('3m').sign(privateKey);
    expect((await rejection(verify(token))).code).toBe('WRONG_ALGORITHM');
  });

  it('rejects an unknown kid', async () => {
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { kid: 'no-such-kid' })))).code).toBe('UNKNOWN_KEY');
  });

  it('rejects a kid that could change the key URL, without fetching it', async () => {
    const before = keys.fetches();
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { kid: '../admin' })))).code).toBe('TOKEN_MALFORMED');
    expect(keys.fetches()).toBe(before);
  });

  it('answers a retryable 503 when the key server is unreachable', async () => {
    const resolver = createInstallKeyResolver({ keysUrls: ['http://127.0.0.1:9'] });
    const err = await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED), { resolver }));
    expect([err.code, err.status]).toEqual(['KEY_SERVER_UNAVAILABLE', 503]);
  });

  it('answers a retryable 503 when the key server hangs past the timeout', async () => {
    const hanging = createServer(() => {});
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const { port } = hanging.address() as AddressInfo;
    const resolver = createInstallKeyResolver({ keysUrls: [`http://127.0.0.1:${port}`], timeoutMs: 200 });
    const err = await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED), { resolver }));
    hanging.closeAllConnections();
    hanging.close();
    expect(err.code).toBe('KEY_SERVER_UNAVAILABLE');
  });

  it('answers a retryable 503 when the key server fails', async () => {
    const failing = createServer((_, res) => res.writeHead(502).end());
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    const { port } = failing.address() as AddressInfo;
    const resolver = createInstallKeyResolver({ keysUrls: [`http://127.0.0.1:${port}`] });
    const err = await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED), { resolver }));
    failing.close();
    expect(err.code).toBe('KEY_SERVER_UNAVAILABLE');
  });

  it('fetches a key once and serves it from the cache afterwards', async () => {
    const resolver = createInstallKeyResolver({ keysUrls: [keys.url] });
    const before = keys.fetches();
    await Promise.all([1, 2, 3].map(() => verify(signInstallToken(keys, 'client-1', URL_INSTALLED), { resolver })));
    await verify(signInstallToken(keys, 'client-1', URL_INSTALLED), { resolver });
    expect(keys.fetches() - before).toBe(1);
  });

  it('remembers an unknown kid briefly instead of asking the key server again (outages are never remembered: install-key-servers.test.ts)', async () => {
    const resolver = createInstallKeyResolver({ keysUrls: [keys.url] });
    const before = keys.fetches();
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { kid: 'missing-kid' }), { resolver }))).code).toBe('UNKNOWN_KEY');
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { kid: 'missing-kid' }), { resolver }))).code).toBe('UNKNOWN_KEY');
    expect(keys.fetches() - before).toBe(1);
  });

  it.each([
    ['another app', 'https://other.example.com'],
    ['a prefix of another host', 'https://app.example.com.evil.com'],
    ['a sub-path', `${APP_URL}/other`],
    ['several audiences', [APP_URL, 'https://other.example.com']],
  ])('rejects an audience of %s', async (_, aud) => {
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { claims: { aud } })))).code).toBe('WRONG_AUDIENCE');
  });

  it('rejects a token without an audience', async () => {
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { claims: { aud: undefined } })))).code).toBe('WRONG_AUDIENCE');
  });

  it('rejects an expired token', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { claims: { iat: past - 180, exp: past } })))).code).toBe('TOKEN_EXPIRED');
  });

  it('rejects a token issued in the future', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { claims: { iat: future, exp: future + 180 } })))).code).toBe('TOKEN_NOT_YET_VALID');
  });

  it('rejects a token for another lifecycle path (tampered path)', async () => {
    const token = signInstallToken(keys, 'client-1', `${APP_URL}/api/lifecycle/uninstalled`);
    expect((await rejection(verify(token))).code).toBe('QSH_MISMATCH');
  });

  it('rejects a token whose qsh is missing', async () => {
    expect((await rejection(verify(signInstallToken(keys, 'client-1', URL_INSTALLED, { claims: { qsh: undefined } })))).code).toBe('QSH_MISSING');
  });

  it('rejects a request whose query was added after signing (tampered query)', async () => {
    const token = signInstallToken(keys, 'client-1', URL_INSTALLED);
    expect((await rejection(verify(token, { url: `${URL_INSTALLED}?user_id=admin` }))).code).toBe('QSH_MISMATCH');
  });
});
