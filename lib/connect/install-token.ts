/**
 * Verification of "signed install" tokens: with `apiMigrations.signed-install`, Atlassian signs the
 * `installed` and `uninstalled` callbacks with RS256 and publishes the public key at
 * `<key server>/<kid>` (lib/config.ts ATLASSIAN_INSTALL_KEY_SERVERS, or CONNECT_INSTALL_KEYS_URL). Before signed install, the installed callback was signed with the
 * very shared secret it delivered, so anyone could forge one; this check is what stops that.
 * https://developer.atlassian.com/cloud/jira/platform/security-for-connect-apps/#validating-installation-lifecycle-requests
 */
import { decodeProtectedHeader, importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { LruCache } from '../cache';
import { ConnectError } from './errors';
import { CLOCK_TOLERANCE_SECONDS, mapJoseError, rejectFutureIat, tokenFromRequest } from './jwt';
import { qshMatches } from './qsh';
import { stripTrailingSlashes } from '../url.mjs';

export type InstallKeyResolver = (kid: string) => Promise<CryptoKey>;

export interface InstallKeyResolverOptions {
  /** Key servers tried in order (CONNECT_INSTALL_KEYS_URL), no trailing slash; the next one only if the previous gave no valid key. */
  keysUrls: readonly string[];
  /** Give up on one key server after this long. Default 2500 ms, so two servers answer within 5 s and Atlassian gets a 503 to retry. */
  timeoutMs?: number;
  /**
   * How long a fetched key is trusted before it is fetched again. Default 60 s: a key the servers stop
   * serving (revoked) is refused within that bound, while a burst of installs still costs one fetch.
   */
  ttlMs?: number;
  /** At most this many keys cached. */
  maxKeys?: number;
  /**
   * How long a kid that every key server said it does not know is refused (401 UNKNOWN_KEY) without asking
   * them again. Default {@link UNKNOWN_KID_TTL_MS}. Brief, because a key Atlassian has just published may
   * not be on every server yet.
   */
  unknownKidTtlMs?: number;
  /** At most this many unknown kids remembered (the least recently seen go first). Default 1000. */
  maxUnknownKids?: number;
  /**
   * At most `max` key-server lookups per `windowMs` for kids this process has never seen a valid key for.
   * Beyond it the answer is 503 KEY_SERVER_UNAVAILABLE (retry later), so a stream of installs with random
   * kids, which no per-kid cache can stop, costs the key servers at most `max` requests per window per
   * instance. Kids that once had a valid key are never held back. Default 30 per 30 s.
   */
  lookupBudget?: { max: number; windowMs: number };
  fetch?: typeof fetch;
  /** Clock for the cache, for tests. */
  now?: () => number;
}

export const INSTALL_KEY_TTL_MS = 60_000;

/** How long an unknown kid is remembered: jose's cooldown for a JWKS refetch on an unknown kid (Forge's key set). */
export const UNKNOWN_KID_TTL_MS = 30_000;

/** Atlassian's kids are UUID-like; anything else is refused before it reaches a URL. */
const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MAX_KEY_BYTES = 16 * 1024;

/**
 * Fetches and caches install public keys by kid, trying each key server in turn. Concurrent requests for one
 * kid share one fetch; a cached key expires after `ttlMs`, and after that the key servers decide again (a key
 * they no longer serve is refused, a key server that cannot be reached is a 503, never a stale key).
 *
 * Junk installs cannot make the app call the key servers without limit: a kid every server said it does not
 * know is refused for `unknownKidTtlMs` without asking again (at most `maxUnknownKids` remembered), and kids
 * never seen valid are looked up at most `lookupBudget.max` times per window. An outage (a server that did
 * not answer, or failed) is never remembered as "unknown": the next request asks again.
 *
 * Where this differs from atlassian-connect-express 11.5.0 (lib/middleware/verify-installation.js `getKey`):
 * ACE fetches on every install without a timeout or cache, and its fallback request omits the kid; here each
 * server has a timeout, the fallback asks for the same kid, and keys are cached for `ttlMs`.
 *
 * @example const resolveKey = createInstallKeyResolver({ keysUrls: config.installKeysUrls });
 */
export function createInstallKeyResolver(options: InstallKeyResolverOptions): InstallKeyResolver {
  const { keysUrls, timeoutMs = 2500, ttlMs = INSTALL_KEY_TTL_MS, maxKeys = 64, fetch: fetchImpl = fetch, now = Date.now } = options;
  const { unknownKidTtlMs = UNKNOWN_KID_TTL_MS, maxUnknownKids = 1000, lookupBudget = { max: 30, windowMs: 30_000 } } = options;
  if (!keysUrls.length) throw new RangeError('createInstallKeyResolver needs at least one key server.');
  const cache = new LruCache<Promise<CryptoKey>>({ max: maxKeys, ttlMs, now });
  const unknown = new LruCache<true>({ max: maxUnknownKids, ttlMs: unknownKidTtlMs, now });
  // Kids that once had a valid key: their refetch (after `ttlMs`, to notice a revocation) is never held back.
  const known = new LruCache<true>({ max: maxKeys, ttlMs: Infinity, now });
  let window = { start: -Infinity, lookups: 0 };

  /** One server's answer: a key, `unknown` (404/403: this server does not know the kid) or `unavailable`. */
  async function fromServer(keysUrl: string, kid: string): Promise<CryptoKey | 'unknown' | 'unavailable'> {
    let response: Response;
    try {
      response = await fetchImpl(`${keysUrl}/${encodeURIComponent(kid)}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch {
      return 'unavailable';
    }
    if (response.status === 404 || response.status === 403) {
      await response.body?.cancel();
      return 'unknown';
    }
    if (!response.ok) {
      await response.body?.cancel();
      return 'unavailable';
    }
    try {
      const pem = (await response.text()).trim();
      if (pem.length > MAX_KEY_BYTES) return 'unavailable';
      return await importSPKI(pem, 'RS256');
    } catch {
      return 'unavailable';
    }
  }

  async function load(kid: string): Promise<CryptoKey> {
    let unavailable = false;
    for (const keysUrl of keysUrls) {
      const answer = await fromServer(keysUrl, kid);
      if (typeof answer !== 'string') return answer;
      if (answer === 'unavailable') unavailable = true;
    }
    // Only when every server answered and none knows the kid is the key unknown; otherwise Atlassian retries.
    if (unavailable) throw new ConnectError('KEY_SERVER_UNAVAILABLE', 'The install key server did not answer; retry later.');
    throw unknownKey();
  }

  /** Counts a lookup of a never-seen kid against the budget; false when the window's budget is spent. */
  function withinBudget(): boolean {
    const at = now();
    if (at - window.start >= lookupBudget.windowMs) window = { start: at, lookups: 0 };
    return ++window.lookups <= lookupBudget.max;
  }

  return (kid) => {
    if (!KID_PATTERN.test(kid)) return Promise.reject(new ConnectError('TOKEN_MALFORMED', 'The install token has an invalid key id.'));
    if (unknown.get(kid)) return Promise.reject(unknownKey());
    let key = cache.get(kid);
    if (!key) {
      if (!known.get(kid) && !withinBudget()) {
        return Promise.reject(new ConnectError('KEY_SERVER_UNAVAILABLE', 'Too many install keys looked up at once; retry later.'));
      }
      const loading = load(kid);
      loading.then(
        () => known.set(kid, true),
        (err: unknown) => {
          cache.delete(kid, loading);
          if (err instanceof ConnectError && err.code === 'UNKNOWN_KEY') unknown.set(kid, true);
        },
      );
      cache.set(kid, loading);
      key = loading;
    }
    return key;
  };
}

function unknownKey(): ConnectError {
  return new ConnectError('UNKNOWN_KEY', 'The install token was signed with an unknown key.');
}

export interface VerifiedInstallToken {
  /** The `iss` claim: the clientKey of the installation that sent the callback. */
  clientKey: string;
  iat: number;
  claims: JWTPayload;
}

export interface VerifyInstallTokenOptions {
  appBaseUrl: string;
  resolveKey: InstallKeyResolver;
  now?: Date;
}

/**
 * Verifies the RS256 token of an `installed` or `uninstalled` callback: key by kid, signature,
 * `exp`/`iat`/`nbf`, `aud` equal to the app's base URL, and `qsh` bound to this request.
 * The caller must still check that `clientKey` equals the payload's `clientKey`.
 */
export async function verifyInstallToken(request: Request, options: VerifyInstallTokenOptions): Promise<VerifiedInstallToken> {
  const token = tokenFromRequest(request);
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new ConnectError('TOKEN_MALFORMED', 'The token is not a valid JWT.');
  }
  // Checked before any key is fetched: an HS256 install token would be signed with the secret it carries.
  if (header.alg !== 'RS256') throw new ConnectError('WRONG_ALGORITHM', 'Install callbacks must be signed with RS256.');
  if (typeof header.kid !== 'string') throw new ConnectError('TOKEN_MALFORMED', 'The install token has no key id.');
  const key = await options.resolveKey(header.kid);

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, key, {
      algorithms: ['RS256'],
      requiredClaims: ['iss', 'iat', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: options.now,
    }));
  } catch (err) {
    throw mapJoseError(err);
  }
  rejectFutureIat(claims, options.now);
  if (!audienceMatches(claims.aud, options.appBaseUrl)) {
    throw new ConnectError('WRONG_AUDIENCE', 'The install token was issued for another app.');
  }
  if (typeof claims.qsh !== 'string') throw new ConnectError('QSH_MISSING', 'The token has no qsh claim.');
  if (!qshMatches(claims.qsh, { method: request.method, url: request.url, baseUrl: options.appBaseUrl })) throw new ConnectError('QSH_MISMATCH', 'The token does not match this request.');
  if (typeof claims.iss !== 'string' || typeof claims.iat !== 'number') {
    throw new ConnectError('CLAIM_INVALID', 'The install token has invalid claims.');
  }
  return { clientKey: claims.iss, iat: claims.iat, claims };
}

/** `aud` must be exactly our base URL (a trailing slash aside): a prefix or a substring is another app. */
function audienceMatches(aud: unknown, appBaseUrl: string): boolean {
  const values = Array.isArray(aud) ? aud : [aud];
  return values.length === 1 && typeof values[0] === 'string' && stripTrailingSlashes(values[0]) === stripTrailingSlashes(appBaseUrl);
}
