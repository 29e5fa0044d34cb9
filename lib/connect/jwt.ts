/**
 * Verification of the HS256 JWTs an Atlassian product puts on every request to the app: iframe loads,
 * webhooks, `enabled`/`disabled` callbacks, and the context tokens the app's own frontend gets from
 * `AP.context.getToken()`. https://developer.atlassian.com/cloud/jira/platform/understanding-jwt/
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { Tenant } from '../tenants/types';
import { ConnectError } from './errors';
import { CONNECT_JWT_ERRORS, joseErrorToConnectError } from './jose-errors';
import { CONTEXT_QSH, qshMatches } from './qsh';

/**
 * Leeway for `exp`, `iat` and `nbf`, in seconds. Product and app clocks drift, and a context token is
 * often used seconds before it expires; atlassian-connect-express allows none and its users see spurious
 * 401s. 30 s is small next to a token's life (3 minutes for request tokens, 15 for context tokens).
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** A Connect token is a few hundred bytes; anything this long is refused before it is parsed. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/**
 * - `strict`: the token must be bound to this very request (`qsh` = hash of its method, path and query).
 *   For iframe loads, webhooks and lifecycle callbacks.
 * - `context`: the token must be a context token (`qsh` = `context-qsh`), minted for the app's frontend to
 *   call its own backend, on any URL. For the app's API routes.
 *
 * The route chooses, never the token: a context token on a strict route is refused, and so is a request
 * token on a context route (it proves only that its URL was loaded, not that this call was meant).
 */
export type VerifyMode = 'strict' | 'context';

export interface VerifyConnectRequestOptions {
  mode: VerifyMode;
  /** The app's base URL, as in the descriptor; a path in it (`https://x.ngrok.app/myapp`) is not hashed. */
  appBaseUrl: string;
  /** Looks up the installation by `clientKey` (the token's `iss`). May be served from a cache. */
  getTenant: (clientKey: string) => Promise<Tenant | null>;
  /**
   * Reads the installation again from committed state, bypassing any cache, when the signature does not
   * verify: another instance may have applied a reinstall with a rotated secret a moment ago. Resolves
   * `undefined` when it declines (rate-limited, so forged tokens cannot turn into database reads).
   * Without it, a bad signature is refused at once.
   */
  refreshTenant?: (clientKey: string) => Promise<Tenant | null | undefined>;
  /** Accept a tenant in state `disabled` (the `enabled` callback arrives while the app is disabled). Default false. */
  allowDisabledTenant?: boolean;
  /** The current time. Default: now. */
  now?: Date;
  /** Default {@link CLOCK_TOLERANCE_SECONDS}. */
  clockToleranceSeconds?: number;
}

/** The claims of a verified token. `iss`, `iat` and `exp` are always present. */
export interface ConnectClaims extends JWTPayload {
  /** The installation's `clientKey`. */
  iss: string;
  iat: number;
  exp: number;
  /** The Atlassian account id of the user, absent for requests no user made (webhooks, lifecycle). */
  sub?: string;
  qsh?: string;
  /** Context tokens only: what the user is looking at (`{ license, jira: { issue, project } }`…). */
  context?: unknown;
}

export interface VerifiedConnectRequest {
  tenant: Tenant;
  /** The `sub` claim, when a user made the request. */
  userAccountId: string | undefined;
  /** The `context` claim of a context token, as sent. */
  context: unknown;
  claims: ConnectClaims;
}

/**
 * Verifies the JWT on a request from an Atlassian product (or from the app's frontend, in `context` mode)
 * and returns the installation it came from. Throws a {@link ConnectError}; its message never contains
 * the token, the secret or a claim value.
 *
 * Order matters: the header's `alg` is checked before anything else, the unverified `iss` is used only to
 * find the shared secret, and the tenant's state is reported only once the signature is proven, so
 * nobody without the secret learns whether an installation is disabled.
 *
 * @example
 * const { tenant, userAccountId } = await verifyConnectRequest(request, {
 *   mode: 'strict',
 *   appBaseUrl: getConfig().appUrl,
 *   getTenant: (clientKey) => tenants.get(clientKey),
 * });
 */
export async function verifyConnectRequest(request: Request, options: VerifyConnectRequestOptions): Promise<VerifiedConnectRequest> {
  const url = new URL(request.url);
  const token = parseToken(tokenFromRequest(request, url));

  let tenant = await options.getTenant(token.issuer);
  if (!tenant) throw new ConnectError('UNKNOWN_TENANT', 'The token was issued by an unknown installation.');
  if (!tenant.sharedSecret) throw new ConnectError('UNKNOWN_TENANT', 'The installation has no shared secret.');

  let claims: ConnectClaims;
  try {
    claims = verifyClaims(token, tenant, options);
  } catch (err) {
    // Signed with a secret we do not hold: the installation may have been reinstalled (a new shared secret)
    // through another instance. One committed read, then the same checks with what it holds.
    const fresher = err instanceof ConnectError && err.code === 'BAD_SIGNATURE' ? await options.refreshTenant?.(token.issuer) : undefined;
    if (!fresher?.sharedSecret || fresher.sharedSecret === tenant.sharedSecret) throw err;
    tenant = fresher;
    claims = verifyClaims(token, tenant, options);
  }
  const refused = stateError(tenant, options.allowDisabledTenant);
  if (refused) throw refused;
  checkQsh(claims.qsh, options.mode, { method: request.method, url, baseUrl: options.appBaseUrl });

  return { tenant, userAccountId: claims.sub, context: claims.context, claims };
}

/**
 * The token of a request: `Authorization: JWT <token>`, or the `jwt` query parameter (iframe URLs and
 * some webhooks). Both may be present only if they are the same token.
 *
 * @example const token = tokenFromRequest(request); // throws TOKEN_MISSING if there is none
 */
export function tokenFromRequest(request: Request, url: URL = new URL(request.url)): string {
  // Auth schemes are case-insensitive (RFC 9110 §11.1); another scheme (Basic, Bearer) is not ours.
  const header = request.headers.get('authorization')?.match(/^JWT(?:\s+(.*))?$/i)?.[1]?.trim();
  const tokens = new Set([header, ...url.searchParams.getAll('jwt')].filter((t): t is string => !!t));

  if (tokens.size === 0) throw new ConnectError('TOKEN_MISSING', 'The request carries no JWT.');
  // Two different tokens: which one the hash and the checks apply to would be ambiguous.
  if (tokens.size > 1) throw new ConnectError('BAD_REQUEST', 'The request carries more than one JWT.');
  const token = tokens.values().next().value!;
  if (token.length > MAX_TOKEN_LENGTH) throw new ConnectError('TOKEN_MALFORMED', 'The JWT is too long.');
  return token;
}

/**
 * Turns an error thrown by jose's `jwtVerify` on a Connect JWT into a {@link ConnectError}
 * (table: {@link CONNECT_JWT_ERRORS}). Anything that is not a jose error is a bug and is returned unchanged,
 * to surface as a 500.
 */
export function mapJoseError(err: unknown): Error {
  return joseErrorToConnectError(err, CONNECT_JWT_ERRORS);
}

/**
 * Refuses a token issued in the future (beyond the leeway). jose checks that `iat` is a number but, unless
 * `maxTokenAge` is set, not that it is in the past. Call it after `jwtVerify`.
 *
 * @example const { payload } = await jwtVerify(token, key, options); rejectFutureIat(payload, now);
 */
export function rejectFutureIat(claims: JWTPayload, now: Date = new Date(), toleranceSeconds = CLOCK_TOLERANCE_SECONDS): void {
  if (typeof claims.iat === 'number' && claims.iat > Math.floor(now.getTime() / 1000) + toleranceSeconds) {
    throw new ConnectError('TOKEN_NOT_YET_VALID', 'The JWT is not valid yet; check the server clock.');
  }
}

/** header.payload.signature; the signature may be empty so that `alg: none` is reported as such. */
const COMPACT_JWS = /^([\w-]+)\.([\w-]+)\.([\w-]*)$/;

/** A token read once: its unverified header and payload, and what the signature is checked over. */
interface ParsedToken {
  /** `iss`: whose secret to verify it with. Unverified until {@link verifyClaims}. */
  issuer: string;
  header: Record<string, unknown>;
  payload: JWTPayload;
  /** `header.payload`, as sent: what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** Reads the unverified token: enough to know whose secret to verify it with, and what to verify. */
function parseToken(token: string): ParsedToken {
  // Compact JWS only, strictly base64url (decoders quietly skip spaces and padding), and no part of a length
  // base64 cannot have (one character over a multiple of four), which a decoder would silently truncate.
  const parts = COMPACT_JWS.exec(token);
  if (!parts || parts.slice(1).some((part) => part.length % 4 === 1)) throw new ConnectError('TOKEN_MALFORMED', 'The JWT is malformed.');
  const [, encodedHeader, encodedPayload, encodedSignature] = parts;
  const header = jsonObject(encodedHeader);
  // Before any key is touched: `none` would skip the signature, and an asymmetric algorithm would make
  // the key's meaning depend on the attacker's header (algorithm confusion). Products only sign HS256.
  if (header?.alg !== 'HS256') throw new ConnectError(header ? 'WRONG_ALGORITHM' : 'TOKEN_MALFORMED', header ? 'The JWT must be signed with HS256.' : 'The JWT is malformed.');
  // Extensions the verifier must understand (RFC 7515 §4.1.11): Connect uses none, so none is accepted.
  if (header.crit !== undefined) throw new ConnectError('TOKEN_MALFORMED', 'The JWT is malformed.');
  const payload = jsonObject(encodedPayload);
  if (!payload) throw new ConnectError('TOKEN_MALFORMED', 'The JWT is malformed.');
  if (typeof payload.iss !== 'string' || !payload.iss) throw new ConnectError('CLAIM_INVALID', 'The JWT has no iss claim.');
  return {
    issuer: payload.iss,
    header,
    payload,
    signingInput: `${encodedHeader}.${encodedPayload}`,
    signature: Buffer.from(encodedSignature, 'base64url'),
  };
}

/** The JSON object a base64url part encodes, or undefined for anything else (not JSON, an array, a number). */
function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The signature (HMAC-SHA256 with the tenant's shared secret, compared in constant time), then the claims,
 * with the rules jose's `jwtVerify` applies (`requiredClaims: ['iss', 'iat', 'exp']`, `clockTolerance`):
 * `exp`, `iat` and `nbf` numbers, `exp` not passed and `nbf` reached within the leeway; then `iat` not in
 * the future ({@link rejectFutureIat}). Synchronous, with node:crypto: WebCrypto's HMAC is a thread-pool job
 * per token, which cost more than the HMAC itself (docs/performance.md).
 */
function verifyClaims(token: ParsedToken, tenant: Tenant, options: VerifyConnectRequestOptions): ConnectClaims {
  const tolerance = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError('clockToleranceSeconds must be a non-negative number');
  const now = options.now ?? new Date();
  const expected = createHmac('sha256', tenant.sharedSecret).update(token.signingInput).digest();
  if (token.signature.length !== expected.length || !timingSafeEqual(token.signature, expected)) {
    throw new ConnectError('BAD_SIGNATURE', 'The JWT signature is invalid.');
  }

  const { payload } = token;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  for (const claim of ['iss', 'iat', 'exp'] as const) {
    if (payload[claim] === undefined) throw new ConnectError('CLAIM_INVALID', `The JWT has no ${claim} claim.`);
  }
  if (typeof payload.iat !== 'number') throw new ConnectError('CLAIM_INVALID', "The JWT's iat claim is invalid.");
  if (payload.nbf !== undefined) {
    if (typeof payload.nbf !== 'number') throw new ConnectError('CLAIM_INVALID', "The JWT's nbf claim is invalid.");
    if (payload.nbf > nowSeconds + tolerance) throw new ConnectError('TOKEN_NOT_YET_VALID', 'The JWT is not valid yet; check the server clock.');
  }
  if (typeof payload.exp !== 'number') throw new ConnectError('CLAIM_INVALID', "The JWT's exp claim is invalid.");
  if (payload.exp <= nowSeconds - tolerance) throw new ConnectError('TOKEN_EXPIRED', 'The JWT has expired.');
  rejectFutureIat(payload, now, tolerance);
  if (payload.sub !== undefined && typeof payload.sub !== 'string') throw new ConnectError('CLAIM_INVALID', "The JWT's sub claim is invalid.");
  return payload as ConnectClaims;
}

function stateError(tenant: Tenant, allowDisabled = false): ConnectError | undefined {
  switch (tenant.state) {
    case 'installed':
    case 'enabled':
      return undefined;
    case 'disabled':
      return allowDisabled ? undefined : new ConnectError('TENANT_DISABLED', 'The app is disabled on this site.');
    default:
      return new ConnectError('TENANT_UNINSTALLED', 'The app is not installed on this site.');
  }
}

function checkQsh(qsh: unknown, mode: VerifyMode, request: { method: string; url: URL; baseUrl: string }): void {
  if (qsh === undefined) throw new ConnectError('QSH_MISSING', 'The JWT has no qsh claim.');
  if (typeof qsh !== 'string') throw new ConnectError('CLAIM_INVALID', "The JWT's qsh claim is invalid.");
  if (mode === 'context') {
    if (qsh !== CONTEXT_QSH) throw new ConnectError('QSH_MISMATCH', 'This route accepts only context tokens.');
    return;
  }
  if (qsh === CONTEXT_QSH) throw new ConnectError('QSH_MISMATCH', 'This route does not accept context tokens.');
  if (!qshMatches(qsh, request)) throw new ConnectError('QSH_MISMATCH', 'The JWT was issued for another request.');
}
