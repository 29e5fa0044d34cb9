/**
 * Verification of Forge Invocation Tokens (FITs): how a Forge Remote backend knows a request came from
 * Atlassian Forge and was meant for this app. Forge sends the FIT as `Authorization: Bearer <FIT>`,
 * signed with a key published in Atlassian's JWKS; the app must check the signature, that `iss` is
 * `forge/invocation-token`, that `aud` is its own app id, and the expiry.
 * https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-
 * https://developer.atlassian.com/platform/forge/remote/essentials/#verifying-remote-requests
 *
 * Plain functions over `Request` and strings, like lib/connect: no Next.js, testable without a server.
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type FlattenedJWSInput,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { ConnectError } from '../connect/errors';

export const FORGE_INVOCATION_TOKEN_ISSUER = 'forge/invocation-token';

/**
 * The one algorithm accepted. Atlassian's documentation does not name it (its jose sample lets the JWKS key
 * decide); RS256 is what Forge Remote implementations in the wild verify, and if Atlassian ever signs with
 * something else every request fails with WRONG_ALGORITHM and this is the line to change. Pinning it before
 * any key is looked up blocks `alg: none` and HS256 signed with the public key (algorithm confusion).
 */
export const FORGE_INVOCATION_TOKEN_ALGORITHM = 'RS256';

/** FITs live for seconds (25 s in Atlassian's example), so only a small clock skew is forgiven. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

/** Resolves the verification key for a token header, as `createRemoteJWKSet` does. */
export type ForgeKeySet = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface ForgeKeySetOptions {
  /** FORGE_JWKS_URL. */
  jwksUrl: string;
  /** Give up on the key server after this long and answer 503. Default 5000 ms. */
  timeoutMs?: number;
  /** A token naming an unknown key refetches the JWKS at most this often. Default 30 s (jose's default). */
  cooldownMs?: number;
  /** Keys are refetched once they are this old, so a retired key stops being trusted. Default 10 min. */
  maxAgeMs?: number;
}

/**
 * The key set behind FIT verification: jose's `createRemoteJWKSet`, which fetches the JWKS on first use,
 * keeps it for `maxAgeMs`, and refetches early (at most once per `cooldownMs`) when a token names a key
 * it does not have, which is how rotated keys are picked up. One per process; see lib/forge/remote.ts.
 *
 * @example const keys = createForgeKeySet({ jwksUrl: DEFAULT_FORGE_JWKS_URL });
 */
export function createForgeKeySet(options: ForgeKeySetOptions): ForgeKeySet {
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.maxAgeMs ?? 600_000,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      // "No such key" and "several candidate keys" are answers about the token; anything else (timeout,
      // refused connection, a non-200, a malformed JWKS) means the key server is unavailable.
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || code === 'ERR_JOSE_NOT_SUPPORTED') throw err;
      throw new ConnectError('KEY_SERVER_UNAVAILABLE', 'The Forge key server did not answer; retry later.');
    }
  };
}

/** What a verified FIT says about the invocation. Names follow the FIT's own claims. */
export interface ForgeInvocation {
  /** `app.id`: the Forge app id, equal to the token's audience. */
  appId: string;
  /**
   * `app.installationId`: the installation of the app on a site, e.g.
   * `ari:cloud:ecosystem::installation/0a3a7799-…`. Atlassian's advice is to key remote storage by it;
   * it changes when the app is reinstalled.
   */
  installationId: string;
  /** `app.apiBaseUrl`: where this installation's Atlassian API calls go (not the site URL). */
  apiBaseUrl: string | undefined;
  /** `app.appVersion`: the Forge app version being invoked. */
  appVersion: string | undefined;
  /** `app.environment`: `DEVELOPMENT`, `STAGING` or `PRODUCTION`, and the environment id. */
  environment: { type: string; id: string } | undefined;
  /** `app.module`: the module that made the call (`core:endpoint` for backend invocations). */
  module: { type: string; key: string } | undefined;
  /** `app.license`, present only for paid apps in production. */
  license: Record<string, unknown> | undefined;
  /** `context.cloudId`: the site, stable across reinstalls (Jira and Confluence only). */
  cloudId: string | undefined;
  /** `context.siteUrl`: the human-readable site URL; the link back to a Connect tenant's `baseUrl`. */
  siteUrl: string | undefined;
  /** `principal`: the account id of the user who invoked the app (UI modules only). */
  accountId: string | undefined;
  /** `context`: the invocation context as sent (absent for backend invocations). */
  context: Record<string, unknown> | undefined;
  /** Every claim, for anything not surfaced above. */
  claims: JWTPayload;
}

export interface VerifyForgeInvocationTokenOptions {
  /** FORGE_APP_ID: the only audience accepted. */
  appId: string;
  keys: ForgeKeySet;
  clockToleranceSeconds?: number;
  now?: Date;
}

/**
 * Verifies a FIT and returns what it says. Throws ConnectError: TOKEN_MALFORMED, WRONG_ALGORITHM,
 * UNKNOWN_KEY, BAD_SIGNATURE, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, ISSUER_MISMATCH, WRONG_AUDIENCE,
 * CLAIM_INVALID, or KEY_SERVER_UNAVAILABLE.
 *
 * @example const invocation = await verifyForgeInvocationToken(fit, { appId, keys });
 */
export async function verifyForgeInvocationToken(token: string, options: VerifyForgeInvocationTokenOptions): Promise<ForgeInvocation> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new ConnectError('TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.');
  }
  // Checked before any key is fetched: `none` would skip the signature, and HS256 would be checked with
  // the public RSA key as an HMAC secret, which anyone can download.
  if (header.alg !== FORGE_INVOCATION_TOKEN_ALGORITHM) {
    throw new ConnectError('WRONG_ALGORITHM', 'Forge invocation tokens must be signed with RS256.');
  }
  assertNotIsolatedCloud(token);

  const verifyOptions: JWTVerifyOptions = {
    algorithms: [FORGE_INVOCATION_TOKEN_ALGORITHM],
    issuer: FORGE_INVOCATION_TOKEN_ISSUER,
    audience: options.appId,
    // Without `exp` a token would never expire; jose only checks the claims it is told to require.
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
    currentDate: options.now,
  };

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, options.keys, verifyOptions));
  } catch (err) {
    if ((err as { code?: unknown })?.code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw toConnectError(err);
    // The token names no key (or a kid shared by several): jose leaves trying each candidate to the caller.
    claims = await verifyWithEachCandidate(token, err as AsyncIterable<CryptoKey>, verifyOptions);
  }
  return invocationFrom(claims, options.appId);
}

/**
 * Isolated Cloud: a FIT with an `icLabel` claim comes from an Atlassian Isolated Cloud, whose invocations are
 * signed with that cloud's own keys and whose product APIs are not at https://api.atlassian.com. This backend
 * verifies against one JWKS (FORGE_JWKS_URL) and pins product calls to api.atlassian.com, so it refuses
 * such tokens with a clear code (ISOLATED_CLOUD_UNSUPPORTED, 403) instead of failing with UNKNOWN_KEY or
 * calling the wrong API. Read from the unverified payload: refusing grants nothing, so no signature is needed
 * to refuse; and a verified token carrying the claim is refused all the same (the check runs first).
 */
function assertNotIsolatedCloud(token: string): void {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new ConnectError('TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.');
  }
  if (claims.icLabel !== undefined) {
    throw new ConnectError('ISOLATED_CLOUD_UNSUPPORTED', 'This app does not serve Atlassian Isolated Cloud installations.');
  }
}

export interface ForgeRemoteRequest {
  invocation: ForgeInvocation;
  /**
   * `x-forge-oauth-system`: the app system token, for calling Atlassian APIs as the app (sent only when the
   * manifest enables `auth.appSystemToken`). Opaque: never parse it, never log it.
   * https://developer.atlassian.com/platform/forge/remote/calling-product-apis/
   */
  appSystemToken: string | undefined;
  /** `x-forge-oauth-user`: the app user token, for calling Atlassian APIs as the invoking user. Opaque, never logged. */
  appUserToken: string | undefined;
}

/**
 * Verifies the FIT of an incoming Forge Remote request and collects the tokens Forge sent with it. The
 * handler gets what the verified token says, never what unsigned headers claim.
 *
 * @example const { invocation, appSystemToken } = await verifyForgeRequest(request, { appId, keys });
 */
export async function verifyForgeRequest(request: Request, options: VerifyForgeInvocationTokenOptions): Promise<ForgeRemoteRequest> {
  const invocation = await verifyForgeInvocationToken(bearerToken(request), options);
  return {
    invocation,
    appSystemToken: headerValue(request, 'x-forge-oauth-system'),
    appUserToken: headerValue(request, 'x-forge-oauth-user'),
  };
}

/** The FIT from `Authorization: Bearer <FIT>` (the scheme is case-insensitive, RFC 7235). */
function bearerToken(request: Request): string {
  const authorization = request.headers.get('authorization')?.trim();
  if (!authorization) throw new ConnectError('TOKEN_MISSING', 'The request has no Forge invocation token.');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw new ConnectError('TOKEN_MISSING', 'Forge invocation tokens are sent as "Authorization: Bearer <token>".');
  return match[1];
}

function headerValue(request: Request, name: string): string | undefined {
  const v = request.headers.get(name)?.trim();
  return v ? v : undefined;
}

async function verifyWithEachCandidate(token: string, candidates: AsyncIterable<CryptoKey>, options: JWTVerifyOptions): Promise<JWTPayload> {
  for await (const key of candidates) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      if ((err as { code?: unknown })?.code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw toConnectError(err);
    }
  }
  throw new ConnectError('BAD_SIGNATURE', 'The Forge invocation token signature is invalid.');
}

function invocationFrom(claims: JWTPayload, appId: string): ForgeInvocation {
  const app = objectClaim(claims.app);
  const context = objectClaim(claims.context);
  const installationId = app?.installationId;
  if (typeof installationId !== 'string' || !installationId) {
    throw new ConnectError('CLAIM_INVALID', 'The Forge invocation token has no app.installationId.');
  }
  // `aud` already matched; an `app.id` naming another app would mean a token minted inconsistently.
  if (app?.id !== appId) throw new ConnectError('CLAIM_INVALID', 'The Forge invocation token is for another app.');
  const environment = objectClaim(app.environment);
  const module = objectClaim(app.module);
  return {
    appId,
    installationId,
    apiBaseUrl: stringClaim(app.apiBaseUrl),
    appVersion: stringClaim(app.appVersion),
    environment: environment && typeof environment.type === 'string' && typeof environment.id === 'string'
      ? { type: environment.type, id: environment.id } : undefined,
    module: module && typeof module.type === 'string' && typeof module.key === 'string'
      ? { type: module.type, key: module.key } : undefined,
    license: objectClaim(app.license),
    cloudId: stringClaim(context?.cloudId),
    siteUrl: stringClaim(context?.siteUrl),
    accountId: stringClaim(claims.principal),
    context,
    claims,
  };
}

function objectClaim(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/**
 * Maps jose's errors onto the project's codes; messages never repeat the token. Anything that is not a jose
 * error is a bug and is returned unchanged, to surface as a 500 (as `mapJoseError` does for Connect tokens).
 */
function toConnectError(err: unknown): Error {
  if (err instanceof ConnectError) return err;
  if (err instanceof errors.JWTExpired) return new ConnectError('TOKEN_EXPIRED', 'The Forge invocation token has expired.');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss':
        return new ConnectError('ISSUER_MISMATCH', 'The token was not issued by Forge.');
      case 'aud':
        return new ConnectError('WRONG_AUDIENCE', 'The Forge invocation token was issued for another app.');
      case 'nbf':
      case 'iat':
        return new ConnectError('TOKEN_NOT_YET_VALID', 'The Forge invocation token is not valid yet.');
      default:
        return new ConnectError('CLAIM_INVALID', 'The Forge invocation token has invalid claims.');
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new ConnectError('WRONG_ALGORITHM', 'Forge invocation tokens must be signed with RS256.');
  }
  if (err instanceof errors.JWKSNoMatchingKey) return new ConnectError('UNKNOWN_KEY', 'The Forge invocation token was signed with an unknown key.');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new ConnectError('BAD_SIGNATURE', 'The Forge invocation token signature is invalid.');
  if (err instanceof errors.JOSEError) return new ConnectError('TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.');
  return err instanceof Error ? err : new Error(String(err));
}
