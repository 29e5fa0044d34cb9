/**
 * User impersonation ("OAuth 2.0 JWT bearer token authorization grant", 2LOi): the app signs an assertion
 * with the tenant's shared secret naming the user, and Atlassian's authorization server returns an access
 * token that acts as that user. Only for apps whose descriptor has the ACT_AS_USER scope, on tenants whose
 * install payload carried an `oauthClientId`.
 * https://developer.atlassian.com/cloud/jira/platform/user-impersonation-for-connect-apps/
 */
import { SignJWT } from 'jose';
import { LruCache } from '../cache';
import { stripTrailingSlashes } from '../url.mjs';
import { ProductApiError } from './product-error';
import type { Tenant } from '../tenants/types';

/** The grant type of RFC 7523 (JWT bearer assertions). */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The descriptor scope that allows user impersonation. */
export const ACT_AS_USER_SCOPE = 'ACT_AS_USER';

/** What the exchange needs from a tenant. */
export type UserTokenTenant = Pick<Tenant, 'clientKey' | 'baseUrl' | 'sharedSecret' | 'oauthClientId'>;

/**
 * Options of {@link userAccessToken}; `hostClient(...).asUser()` fills them from its own options.
 *
 * @example { oauthUrl: getConfig().oauthUrl, scopes: ['READ', 'ACT_AS_USER'], cache: new UserTokenCache(100) }
 */
export interface UserTokenOptions {
  /** The authorization server (CONNECT_OAUTH_URL), no trailing slash: the assertion's `aud`; tokens come from `/oauth2/token`. */
  oauthUrl: string;
  /** The app's scopes, as in the descriptor; must include ACT_AS_USER. Sent upper-case, space-separated. */
  scopes: string[];
  /** Where tokens are kept between calls. Default: {@link defaultUserTokenCache}. */
  cache?: UserTokenCache;
  /** Give up on the authorization server after this long. Default 10 000 ms. */
  timeoutMs?: number;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
  fetch?: typeof fetch;
}

/** The assertion is used once, at once; 60 s as in Atlassian's examples and atlassian-connect-express. */
const ASSERTION_LIFETIME_SECONDS = 60;
/** A cached token is not handed out in its last 30 s, so it cannot expire on its way to the product. */
const EXPIRY_MARGIN_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TOKEN_RESPONSE_CHARS = 64 * 1024;
/** Atlassian account IDs: `5b10ac8d82e05b22cc7d4ef5`, `557058:f0e6…`, `qm:…`. Anything else is refused before it reaches a claim. */
export const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

/** @internal A token in the cache: in flight until `value` is set; it expires when the token stops being usable. */
export interface CachedToken {
  token: Promise<string>;
  /** The token, once the exchange succeeded. */
  value?: string;
}

/**
 * A bounded map of user access tokens, least recently used evicted first (an {@link LruCache} whose
 * entries expire with their token, not after a fixed time). Keys name the installation (clientKey,
 * oauthClientId), the user and the scopes, so one tenant's token never serves another.
 *
 * @example const cache = new UserTokenCache(500); hostClient(tenant, { userTokenCache: cache })
 */
export class UserTokenCache extends LruCache<CachedToken> {
  /** @param maxEntries How many tokens to keep. Default 1000. */
  constructor(readonly maxEntries = 1000) {
    // In flight, an entry never expires (concurrent callers share the exchange); once the token is known
    // it expires with it (setExpiry).
    super({ max: maxEntries, ttlMs: Infinity });
  }
}

/**
 * The cache `userAccessToken` uses when given none: one per process, bounded to 1000 tokens. Exported
 * so it is visible, and can be cleared or replaced, rather than hidden.
 */
export const defaultUserTokenCache = new UserTokenCache();

/**
 * An access token acting as `accountId` on `tenant`: from the cache while it has more than 30 s left,
 * otherwise exchanged for a fresh assertion. Concurrent calls for the same user share one exchange;
 * failures are not cached. Throws ProductApiError IMPERSONATION_UNAVAILABLE or TOKEN_EXCHANGE_FAILED.
 *
 * @example const token = await userAccessToken(tenant, accountId, { oauthUrl: getConfig().oauthUrl, scopes: ['READ', 'ACT_AS_USER'] })
 */
export async function userAccessToken(tenant: UserTokenTenant, accountId: string, options: UserTokenOptions): Promise<string> {
  const { cache = defaultUserTokenCache, now = Date.now } = options;
  const scopes = normalizeScopes(options.scopes);
  checkImpersonationAllowed(tenant, accountId, scopes);
  const key = cacheKey(tenant, accountId, scopes);
  const cached = cache.get(key, now());
  if (cached) return cached.token;

  const entry: CachedToken = { token: Promise.resolve('') };
  entry.token = exchange(tenant, accountId, scopes, options).then(({ accessToken, usableUntil }) => {
    cache.setExpiry(key, entry, usableUntil);
    entry.value = accessToken;
    return accessToken;
  });
  cache.set(key, entry);
  entry.token.catch(() => cache.delete(key, entry));
  return entry.token;
}

/**
 * Drops a cached token, e.g. after the product refused it with 401 (the user was deactivated, or the
 * token revoked), so the next call exchanges a fresh one. With `refusedToken`, only that token is dropped,
 * not a newer one another request already obtained.
 *
 * @example if (response.status === 401) forgetUserAccessToken(tenant, accountId, options, token)
 */
export function forgetUserAccessToken(
  tenant: UserTokenTenant,
  accountId: string,
  options: Pick<UserTokenOptions, 'scopes' | 'cache'>,
  refusedToken?: string,
): void {
  const cache = options.cache ?? defaultUserTokenCache;
  const key = cacheKey(tenant, accountId, normalizeScopes(options.scopes));
  const entry = cache.peek(key);
  if (entry && (refusedToken === undefined || entry.value === refusedToken)) cache.delete(key, entry);
}

/**
 * The signed assertion for the token request. Claims per "User impersonation for Connect apps":
 * `iss` = `urn:atlassian:connect:clientid:{oauthClientId}`, `sub` = `urn:atlassian:connect:useraccountid:{accountId}`,
 * `tnt` = the tenant's baseUrl (with `/wiki` for Confluence), `aud` = the authorization server, `iat`, `exp`
 * (60 s later), HS256 with the shared secret.
 *
 * @example const assertion = await userTokenAssertion(tenant, accountId, 'https://oauth-2-authorization-server.services.atlassian.com')
 */
export async function userTokenAssertion(tenant: UserTokenTenant, accountId: string, oauthUrl: string, nowMs: number = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ tnt: tenant.baseUrl })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`urn:atlassian:connect:clientid:${tenant.oauthClientId}`)
    .setSubject(`urn:atlassian:connect:useraccountid:${accountId}`)
    .setAudience(oauthUrl)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(new TextEncoder().encode(tenant.sharedSecret));
}

async function exchange(tenant: UserTokenTenant, accountId: string, scopes: string[], options: UserTokenOptions): Promise<{ accessToken: string; usableUntil: number }> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, now = Date.now, fetch: fetchImpl = fetch } = options;
  // The `aud` must be the server's URL exactly as Atlassian spells it: no trailing slash.
  const oauthUrl = stripTrailingSlashes(options.oauthUrl);
  const startedAt = now();
  const assertion = await userTokenAssertion(tenant, accountId, oauthUrl, startedAt);
  const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion, scope: scopes.join(' ') });

  let response: Response;
  let text: string;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    response = await fetchImpl(`${oauthUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      // The assertion is in the body: a 307 would replay it to wherever Location points.
      redirect: 'manual',
      signal,
    });
    text = await response.text();
  } catch (err) {
    const timedOut = (err as Error)?.name === 'TimeoutError';
    throw new ProductApiError('TOKEN_EXCHANGE_FAILED', timedOut
      ? `The OAuth server did not answer within ${timeoutMs} ms.`
      : 'The OAuth server could not be reached.');
  }

  const body = parseJson(text.slice(0, MAX_TOKEN_RESPONSE_CHARS));
  if (!response.ok) {
    throw new ProductApiError('TOKEN_EXCHANGE_FAILED', `The OAuth server answered ${response.status} to the user token request.`,
      response.status, oauthErrorMessages(body, assertion));
  }
  const accessToken = body?.access_token;
  if (typeof accessToken !== 'string' || !accessToken || /\s/.test(accessToken)) {
    throw new ProductApiError('TOKEN_EXCHANGE_FAILED', 'The OAuth server answered without an access token.', response.status);
  }
  const expiresIn = Number(body?.expires_in);
  // Without a usable lifetime the token is used once and not cached.
  const usableUntil = Number.isFinite(expiresIn) && expiresIn > 0 ? startedAt + expiresIn * 1000 - EXPIRY_MARGIN_MS : -Infinity;
  return { accessToken, usableUntil };
}

/**
 * Throws IMPERSONATION_UNAVAILABLE unless the app may act as `accountId` on `tenant`: the scopes include
 * ACT_AS_USER, the installation has an `oauthClientId`, and the account ID looks like one.
 *
 * @example assertCanActAsUser(tenant, accountId, descriptor.scopes ?? [])
 */
export function assertCanActAsUser(tenant: UserTokenTenant, accountId: string, scopes: string[]): void {
  checkImpersonationAllowed(tenant, accountId, normalizeScopes(scopes));
}

function checkImpersonationAllowed(tenant: UserTokenTenant, accountId: string, scopes: string[]): void {
  if (!scopes.includes(ACT_AS_USER_SCOPE)) {
    throw new ProductApiError('IMPERSONATION_UNAVAILABLE', 'Acting as a user needs the ACT_AS_USER scope in atlassian-connect.json.');
  }
  if (!tenant.oauthClientId) {
    throw new ProductApiError('IMPERSONATION_UNAVAILABLE', 'This installation has no oauthClientId; reinstall the app with the ACT_AS_USER scope.');
  }
  if (!ACCOUNT_ID.test(accountId)) {
    throw new ProductApiError('IMPERSONATION_UNAVAILABLE', 'The account ID is not a valid Atlassian account ID.');
  }
}

/** Upper-case, de-duplicated, sorted: `['read', 'ACT_AS_USER', 'READ']` → `['ACT_AS_USER', 'READ']`. */
function normalizeScopes(scopes: string[]): string[] {
  return [...new Set(scopes.map((s) => s.trim().toUpperCase()).filter(Boolean))].sort();
}

function cacheKey(tenant: UserTokenTenant, accountId: string, scopes: string[]): string {
  return JSON.stringify([tenant.clientKey, tenant.oauthClientId, tenant.baseUrl, accountId, scopes.join(' ')]);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The OAuth `error` and `error_description`, with anything that echoes the assertion removed. */
function oauthErrorMessages(body: Record<string, unknown> | undefined, assertion: string): string[] {
  const parts = assertion.split('.');
  return [body?.error, body?.error_description]
    .filter((m): m is string => typeof m === 'string' && m.length > 0)
    .map((m) => parts.reduce((text, part) => text.replaceAll(part, '[redacted]'), m).slice(0, 500));
}
