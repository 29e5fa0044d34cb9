/**
 * Plays the product (Jira or Confluence) and Atlassian's OAuth authorization server for host client tests:
 * real HTTP servers on loopback that check every credential they receive with the reference
 * implementation `atlassian-jwt`, independently of the code under test.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as ajwt from 'atlassian-jwt';
import { APP_KEY } from './product';

const USER_PREFIX = 'urn:atlassian:connect:useraccountid:';

export interface Hit {
  method: string;
  /** Path and query exactly as received on the wire. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers a request; the return value is ignored (a promise is awaited). */
export type Handler = (hit: Hit, res: ServerResponse) => unknown;

export interface TestServer {
  origin: string;
  hits: Hit[];
  close: () => Promise<void>;
}

/** An HTTP server on 127.0.0.1 with an OS-assigned port that records every request it receives. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const hits: Hit[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit: Hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hits.push(hit);
      Promise.resolve(handler(hit, res)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`test server error: ${err.message}`);
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        // Handlers that never answer (timeout tests) keep sockets open; close them so the server can stop.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Who a product request was authenticated as, per the reference checks. */
export type Caller = { as: 'app'; claims: Record<string, unknown> } | { as: 'user'; accountId: string; scope: string };

export interface ProductCall {
  hit: Hit;
  caller: Caller;
}

export interface Exchange {
  claims: Record<string, unknown>;
  form: Record<string, string>;
  accessToken: string;
}

export interface FakeAtlassianOptions {
  /** The product's context path: '' for Jira, '/wiki' for Confluence. */
  contextPath?: string;
  /** `expires_in` of issued user tokens, in seconds. */
  expiresIn?: number;
  /** The servers' clock in milliseconds, to share a fake clock with the code under test. */
  now?: () => number;
}

export interface FakeAtlassian {
  tenant: { clientKey: string; baseUrl: string; sharedSecret: string; oauthClientId: string };
  product: TestServer & {
    /** Requests whose credential passed the reference checks, with who they were from. */
    calls: ProductCall[];
    /** Requests refused with 401, with the reason. */
    refusals: { hit: Hit; reason: string }[];
    /** Answers authenticated requests; the default answers 200 `{ ok: true, path, caller }`. */
    route: (handler: (call: ProductCall, res: ServerResponse) => unknown) => void;
    /** Makes the product refuse this user token from now on (as if revoked). */
    revoke: (accessToken: string) => void;
  };
  oauth: TestServer & {
    url: string;
    exchanges: Exchange[];
    /** Replaces the token endpoint's answer (to fail, stall, redirect or echo). */
    route: (handler: Handler | undefined) => void;
  };
  close: () => Promise<void>;
}

/**
 * A product at `http://127.0.0.1:<port><contextPath>` and an OAuth server on another port. The product
 * accepts app JWTs checked with atlassian-jwt (signature with the shared secret, `iss` = the app key,
 * `qsh` of the request as received, relative to the tenant baseUrl) and user tokens the OAuth server
 * issued; the OAuth server checks assertions with atlassian-jwt.
 */
export async function startFakeAtlassian(options: FakeAtlassianOptions = {}): Promise<FakeAtlassian> {
  const { contextPath = '', expiresIn = 900, now = Date.now } = options;
  const sharedSecret = `secret-${randomUUID()}`;
  const oauthClientId = `oauth-${randomUUID()}`;
  const clientKey = randomUUID();
  const issued = new Map<string, { accountId: string; scope: string }>();
  const calls: ProductCall[] = [];
  const refusals: { hit: Hit; reason: string }[] = [];
  const exchanges: Exchange[] = [];
  let productRoute: (call: ProductCall, res: ServerResponse) => unknown = (call, res) =>
    json(res, 200, { ok: true, path: call.hit.url, caller: call.caller.as });
  let oauthRoute: Handler | undefined;

  let baseUrl = '';
  const product = await startServer(async (hit, res) => {
    let caller: Caller;
    try {
      caller = authenticate(hit, product.origin, baseUrl, sharedSecret, issued, now);
    } catch (err) {
      const reason = (err as Error).message;
      refusals.push({ hit, reason });
      return json(res, 401, { errorMessages: [reason] });
    }
    const call = { hit, caller };
    calls.push(call);
    await productRoute(call, res);
  });
  baseUrl = product.origin + contextPath;

  let oauthUrl = '';
  const oauth = await startServer(async (hit, res) => {
    if (oauthRoute) return oauthRoute(hit, res);
    try {
      const exchange = checkTokenRequest(hit, oauthUrl, { sharedSecret, oauthClientId, baseUrl }, now);
      issued.set(exchange.accessToken, { accountId: String(exchange.claims.sub).slice(USER_PREFIX.length), scope: exchange.form.scope ?? '' });
      exchanges.push(exchange);
      json(res, 200, { access_token: exchange.accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: exchange.form.scope });
    } catch (err) {
      json(res, 400, { error: 'invalid_grant', error_description: (err as Error).message });
    }
  });
  oauthUrl = oauth.origin;

  return {
    tenant: { clientKey, baseUrl, sharedSecret, oauthClientId },
    product: { ...product, calls, refusals, route: (h) => (productRoute = h), revoke: (t) => issued.delete(t) },
    oauth: { ...oauth, url: oauthUrl, exchanges, route: (h) => (oauthRoute = h) },
    close: async () => {
      await Promise.all([product.close(), oauth.close()]);
    },
  };
}

/**
 * The product's check of an app token, with atlassian-jwt: the Authorization header `JWT <token>`, HS256
 * signature with the shared secret, `iss` = the app key, a lifetime of at most 10 minutes that includes
 * now, and `qsh` = the hash of the request as received, relative to the tenant's base URL.
 */
export function verifyAppToken(hit: Hit, origin: string, baseUrl: string, sharedSecret: string, nowMs = Date.now()): Record<string, unknown> {
  const token = /^JWT (\S+)$/.exec(String(hit.headers.authorization ?? ''))?.[1];
  if (!token) throw new Error('no JWT in the Authorization header');
  const claims = ajwt.decodeSymmetric(token, sharedSecret, ajwt.SymmetricAlgorithm.HS256) as Record<string, unknown>;
  if (claims.iss !== APP_KEY) throw new Error(`iss is ${String(claims.iss)}`);
  const now = Math.floor(nowMs / 1000);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!(iat <= now + 1 && exp > now && exp - iat <= 600)) throw new Error(`bad iat/exp ${iat}/${exp}`);
  const expected = ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(hit.method, origin + hit.url), false, baseUrl);
  if (claims.qsh !== expected) {
    const canonical = ajwt.createCanonicalRequest(ajwt.fromMethodAndUrl(hit.method, origin + hit.url), false, baseUrl);
    throw new Error(`qsh does not match ${canonical}`);
  }
  return claims;
}

function authenticate(
  hit: Hit,
  origin: string,
  baseUrl: string,
  sharedSecret: string,
  issued: Map<string, { accountId: string; scope: string }>,
  now: () => number,
): Caller {
  const authorization = String(hit.headers.authorization ?? '');
  const bearer = /^Bearer (\S+)$/.exec(authorization)?.[1];
  if (bearer) {
    const user = issued.get(bearer);
    if (!user) throw new Error('unknown or revoked access token');
    return { as: 'user', ...user };
  }
  return { as: 'app', claims: verifyAppToken(hit, origin, baseUrl, sharedSecret, now()) };
}

/**
 * The authorization server's check of a JWT bearer grant: form fields, and the assertion's HS256 signature
 * and claims (iss, sub, tnt, aud, iat, exp at most 60 s after iat) with atlassian-jwt.
 */
function checkTokenRequest(
  hit: Hit,
  oauthUrl: string,
  tenant: { sharedSecret: string; oauthClientId: string; baseUrl: string },
  nowMs: () => number,
): Exchange {
  if (hit.method !== 'POST' || hit.url !== '/oauth2/token') throw new Error(`unexpected ${hit.method} ${hit.url}`);
  if (!String(hit.headers['content-type']).startsWith('application/x-www-form-urlencoded')) throw new Error('not a form');
  const form = Object.fromEntries(new URLSearchParams(hit.body));
  if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('wrong grant_type');
  const claims = ajwt.decodeSymmetric(form.assertion ?? '', tenant.sharedSecret, ajwt.SymmetricAlgorithm.HS256) as Record<string, unknown>;
  const now = Math.floor(nowMs() / 1000);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  // atlassian-jwt normalizes `aud` to an array.
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== `urn:atlassian:connect:clientid:${tenant.oauthClientId}`) throw new Error('wrong iss');
  if (!String(claims.sub).startsWith(USER_PREFIX) || String(claims.sub).length === USER_PREFIX.length) throw new Error('wrong sub');
  if (claims.tnt !== tenant.baseUrl) throw new Error('wrong tnt');
  if (aud.length !== 1 || aud[0] !== oauthUrl) throw new Error('wrong aud');
  if (!(iat <= now + 1 && exp > now && exp - iat <= 60)) throw new Error('bad iat/exp');
  return { claims, form, accessToken: `user-token-${randomUUID()}` };
}
