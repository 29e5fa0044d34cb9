/**
 * A stand-in for the Forge platform's side of Forge Remote: RSA keys generated with jose, a JWKS served by
 * node:http on 127.0.0.1 (port 0), and Forge Invocation Tokens shaped like Atlassian's documented example.
 * https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const APP_ID = 'ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107';
export const OTHER_APP_ID = 'ari:cloud:ecosystem::app/00000000-1111-4222-8333-444444444444';
export const INSTALLATION_ID = 'ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5';
export const CLOUD_ID = 'd0d52620-3203-4cfa-8db5-f2587155f0dd';
export const ACCOUNT_ID = '655362:312d3308-8954-42b0-aa38-771a10c88656';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface JwksServer {
  url: string;
  /** How many times the JWKS was fetched. */
  fetches: () => number;
  /** Replace the published keys (key rotation). */
  publish: (keys: JWK[]) => void;
  /** Answer every request with this status instead (an outage). */
  fail: (status: number | undefined) => void;
  close: () => Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let published = keys;
  let fetches = 0;
  let failWith: number | undefined;
  const server: Server = createServer((_req, res) => {
    fetches++;
    if (failWith) {
      res.writeHead(failWith).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    publish: (next) => {
      published = next;
    },
    fail: (status) => {
      failWith = status;
    },
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** The claims of Atlassian's example FIT, for this test app, valid for 25 s from `now`. */
export function fitClaims(now = Math.floor(Date.now() / 1000)): JWTPayload {
  return {
    app: {
      id: APP_ID,
      appVersion: '16.0.1',
      installationId: INSTALLATION_ID,
      apiBaseUrl: `https://api.atlassian.com/ex/jira/${CLOUD_ID}`,
      environment: { type: 'DEVELOPMENT', id: 'ari:cloud:ecosystem::environment/8db33809-1f32-48bb-8c52-5877dab48107/aa911f10-c54b-4b93-9e27-dd2947840b9e' },
      module: { type: 'jira:issuePanel', key: 'issue-notes-forge' },
    },
    context: { cloudId: CLOUD_ID, siteUrl: 'https://example.atlassian.net', moduleKey: 'issue-notes-forge' },
    principal: ACCOUNT_ID,
    aud: APP_ID,
    iss: 'forge/invocation-token',
    iat: now,
    nbf: now,
    exp: now + 25,
    jti: 'd8a496253ec8c18a54631e4c82cbedd5d0ae8570',
  };
}

/** Signs claims as Forge does (RS256); `kid: null` leaves the key id out. */
export async function signFit(key: SigningKey, claims: JWTPayload = fitClaims(), options: { kid?: string | null } = {}): Promise<string> {
  const kid = options.kid === undefined ? key.kid : options.kid;
  return new SignJWT(claims).setProtectedHeader(kid === null ? { alg: 'RS256' } : { alg: 'RS256', kid }).sign(key.privateKey);
}

export function forgeRequest(fit: string | undefined, headers: Record<string, string> = {}, url = 'https://notes.example.com/api/forge/whoami'): Request {
  return new Request(url, {
    headers: {
      'x-b3-traceid': 'a523b7549f0b88c9',
      'x-b3-spanid': '2a2436c64727923f',
      ...(fit === undefined ? {} : { authorization: `Bearer ${fit}` }),
      ...headers,
    },
  });
}
