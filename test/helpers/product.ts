/**
 * Plays Atlassian's side of the lifecycle for tests: an RSA key pair, a real HTTP install-key server
 * on loopback, and callbacks signed with the reference implementation `atlassian-jwt`.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ajwt from 'atlassian-jwt';
import descriptor from '../../atlassian-connect.json';

export const APP_URL = 'https://app.example.com';
/** The app key of the descriptor template, so tests follow `npm run rename`. */
export const APP_KEY: string = descriptor.key;

export interface KeyServer {
  url: string;
  kid: string;
  privateKeyPem: string;
  /** How many key fetches the server answered, to prove caching. */
  fetches: () => number;
  close: () => Promise<void>;
}

export function rsaKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Serves `GET /<kid>` → PEM public key, as connect-install-keys.atlassian.com does; 404 otherwise. */
export async function startKeyServer(): Promise<KeyServer> {
  const kid = randomUUID();
  const { privateKeyPem, publicKeyPem } = rsaKeyPair();
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    fetches++;
    if (req.url === `/${kid}`) {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(publicKeyPem);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    kid,
    privateKeyPem,
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function installPayload(overrides: Record<string, unknown> = {}) {
  return {
    key: APP_KEY,
    clientKey: randomUUID(),
    sharedSecret: `secret-${randomUUID()}`,
    baseUrl: `https://site-${randomUUID().slice(0, 8)}.atlassian.net`,
    displayUrl: null,
    productType: 'jira',
    description: 'Atlassian JIRA at https://example.atlassian.net',
    serverVersion: '100',
    pluginsVersion: '1001.0.0',
    oauthClientId: 'oauth-client-1',
    eventType: 'installed',
    ...overrides,
  };
}

export interface SignOptions {
  /** Claims to add or override (e.g. `aud`, `exp`, `qsh`); `undefined` removes a claim. */
  claims?: Record<string, unknown>;
  kid?: string;
  privateKeyPem?: string;
  /** Sign for this URL instead of the one requested (to tamper). */
  signedUrl?: string;
  method?: string;
}

/** The RS256 token Atlassian would put on a signed lifecycle callback to `url`. */
export function signInstallToken(keys: KeyServer, clientKey: string, url: string, options: SignOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const method = options.method ?? 'POST';
  const qsh = ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(method, options.signedUrl ?? url), false, APP_URL);
  const claims: Record<string, unknown> = { iss: clientKey, aud: APP_URL, iat: now, exp: now + 180, qsh, sub: 'connect:installer', ...options.claims };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return ajwt.encodeAsymmetric(claims, options.privateKeyPem ?? keys.privateKeyPem, ajwt.AsymmetricAlgorithm.RS256, { kid: options.kid ?? keys.kid });
}

/** An HS256 token signed with a tenant's shared secret, as the product signs enabled/disabled/webhooks. */
export function signSymmetricToken(sharedSecret: string, clientKey: string, method: string, url: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const qsh = ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(method, url), false, APP_URL);
  return ajwt.encodeSymmetric({ iss: clientKey, iat: now, exp: now + 180, qsh, ...claims }, sharedSecret);
}

export function lifecycleRequest(event: string, body: unknown, token?: string, init: { contentType?: string } = {}): Request {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  if (token) headers.authorization = `JWT ${token}`;
  return new Request(`${APP_URL}/api/lifecycle/${event}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
