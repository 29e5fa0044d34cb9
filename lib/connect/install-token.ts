/**
 * Verification of "signed install" tokens: with `apiMigrations.signed-install`, Atlassian signs the
 * `installed` and `uninstalled` callbacks with RS256 and publishes the public key at
 * `CONNECT_INSTALL_KEYS_URL/<kid>`. Before signed install, the installed callback was signed with the
 * very shared secret it delivered, so anyone could forge one; this check is what stops that.
 * https://developer.atlassian.com/cloud/jira/platform/security-for-connect-apps/#validating-installation-lifecycle-requests
 */
import { decodeProtectedHeader, importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { LruCache } from '../cache';
import { ConnectError } from './errors';
import { CLOCK_TOLERANCE_SECONDS, mapJoseError, rejectFutureIat, tokenFromRequest } from './jwt';
import { qshMatches } from './qsh';

export type InstallKeyResolver = (kid: string) => Promise<CryptoKey>;

export interface InstallKeyResolverOptions {
  /** CONNECT_INSTALL_KEYS_URL, no trailing slash. */
  keysUrl: string;
  /** Give up on the key server after this long and answer 503, so Atlassian retries later. */
  timeoutMs?: number;
  /** Keys are immutable per kid, so they are cached without expiry, up to this many. */
  maxKeys?: number;
  fetch?: typeof fetch;
}

/** Atlassian's kids are UUID-like; anything else is refused before it reaches a URL. */
const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MAX_KEY_BYTES = 16 * 1024;

/**
 * Fetches and caches install public keys by kid. Concurrent requests for one kid share one fetch;
 * failures are not cached.
 *
 * @example const resolveKey = createInstallKeyResolver({ keysUrl: config.installKeysUrl });
 */
export function createInstallKeyResolver(options: InstallKeyResolverOptions): InstallKeyResolver {
  const { keysUrl, timeoutMs = 5000, maxKeys = 64, fetch: fetchImpl = fetch } = options;
  const cache = new LruCache<Promise<CryptoKey>>({ max: maxKeys, ttlMs: Infinity });

  async function load(kid: string): Promise<CryptoKey> {
    let response: Response;
    try {
      response = await fetchImpl(`${keysUrl}/${encodeURIComponent(kid)}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch {
      throw new ConnectError('KEY_SERVER_UNAVAILABLE', 'The install key server did not answer; retry later.');
    }
    if (response.status === 404 || response.status === 403) {
      throw new ConnectError('UNKNOWN_KEY', 'The install token was signed with an unknown key.');
    }
    if (!response.ok) {
      throw new ConnectError('KEY_SERVER_UNAVAILABLE', `The install key server answered ${response.status}; retry later.`);
    }
    const pem = (await response.text()).trim();
    if (pem.length > MAX_KEY_BYTES) throw new ConnectError('KEY_SERVER_UNAVAILABLE', 'The install key server sent an invalid key.');
    try {
      return await importSPKI(pem, 'RS256');
    } catch {
      throw new ConnectError('KEY_SERVER_UNAVAILABLE', 'The install key server sent an invalid key.');
    }
  }

  return (kid) => {
    if (!KID_PATTERN.test(kid)) return Promise.reject(new ConnectError('TOKEN_MALFORMED', 'The install token has an invalid key id.'));
    let key = cache.get(kid);
    if (!key) {
      key = load(kid);
      key.catch(() => cache.delete(kid));
      cache.set(kid, key);
    }
    return key;
  };
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
  const strip = (u: string) => u.replace(/\/+$/, '');
  const values = Array.isArray(aud) ? aud : [aud];
  return values.length === 1 && typeof values[0] === 'string' && strip(values[0]) === strip(appBaseUrl);
}
