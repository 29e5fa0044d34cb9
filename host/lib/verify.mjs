/**
 * How the simulated product checks the JWT an app puts on a REST call: HS256 with the installation's
 * shared secret, `iss` the app key, unexpired, and a `qsh` equal to atlassian-jwt's
 * createQueryStringHash of this very request relative to the site's base URL. Anything else is a 401,
 * with a reason the log shows (the real product is terser; the simulator is for finding bugs).
 */
import { decodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { CONTEXT_QSH, describeToken, qsh } from './tokens.mjs';

/** Seconds of clock difference tolerated on `exp` and `iat`. */
export const CLOCK_LEEWAY = 30;

export class AuthError extends Error {
  /**
   * @param {'TOKEN_MISSING' | 'TOKEN_MALFORMED' | 'UNKNOWN_ISSUER' | 'APP_NOT_ENABLED' | 'WRONG_ALGORITHM' | 'BAD_SIGNATURE'
   *   | 'TOKEN_EXPIRED' | 'TOKEN_NOT_YET_VALID' | 'QSH_MISMATCH' | 'BAD_ACCESS_TOKEN'} code
   * @param {string} message safe to show: never contains a token or a secret
   */
  constructor(code, message) {
    super(message);
    this.name = 'AuthError';
    this.code = code;
    this.status = 401;
  }
}

/**
 * The credentials of a request: `Authorization: JWT <token>` or `Bearer <token>`, or a `jwt` query
 * parameter (which the product also accepts).
 * @param {import('node:http').IncomingHttpHeaders} headers @param {URL} url
 * @returns {{ scheme: 'JWT' | 'Bearer', token: string } | null}
 */
export function credentialsOf(headers, url) {
  const header = headers.authorization;
  if (header) {
    const match = /^(JWT|Bearer)\s+(\S+)$/i.exec(header);
    if (match) return { scheme: match[1].toLowerCase() === 'jwt' ? 'JWT' : 'Bearer', token: match[2] };
    return null;
  }
  const jwt = url.searchParams.get('jwt');
  return jwt ? { scheme: 'JWT', token: jwt } : null;
}

/**
 * @param {string} token
 * @param {{ method: string, url: URL, siteBaseUrl: string,
 *   findInstallation: (appKey: string) => import('./store.mjs').Installation | undefined }} request
 * @returns {{ installation: import('./store.mjs').Installation, claims: Record<string, any> }}
 * @example const { installation } = verifyAppToken(token, { method: 'GET', url, siteBaseUrl, findInstallation })
 */
export function verifyAppToken(token, { method, url, siteBaseUrl, findInstallation }) {
  const described = describeToken(token);
  if (!described || token.split('.').length !== 3) throw new AuthError('TOKEN_MALFORMED', 'The token is not a JWT.');
  const iss = described.claims.iss;
  if (typeof iss !== 'string') throw new AuthError('TOKEN_MALFORMED', 'The token has no "iss" claim (it must be the app key).');
  const installation = findInstallation(iss);
  if (!installation) throw new AuthError('UNKNOWN_ISSUER', `No app with key "${iss}" is installed on this site ("iss" must be the app key from the descriptor).`);
  if (installation.state !== 'enabled') throw new AuthError('APP_NOT_ENABLED', `The app "${iss}" is ${installation.state} on this site.`);
  if (described.alg !== 'HS256') throw new AuthError('WRONG_ALGORITHM', `App tokens must be signed with HS256, not ${described.alg}.`);

  /** @type {Record<string, any>} */
  let claims;
  try {
    claims = decodeSymmetric(token, installation.sharedSecret, SymmetricAlgorithm.HS256);
  } catch {
    throw new AuthError('BAD_SIGNATURE', 'The token signature does not match the shared secret of this installation.');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number') throw new AuthError('TOKEN_MALFORMED', 'The token has no numeric "exp" claim.');
  if (claims.exp + CLOCK_LEEWAY < now) throw new AuthError('TOKEN_EXPIRED', 'The token has expired.');
  if (typeof claims.iat !== 'number') throw new AuthError('TOKEN_MALFORMED', 'The token has no numeric "iat" claim.');
  if (claims.iat - CLOCK_LEEWAY > now) throw new AuthError('TOKEN_NOT_YET_VALID', 'The token was issued in the future ("iat").');
  if (claims.qsh === CONTEXT_QSH) throw new AuthError('QSH_MISMATCH', 'A context token (qsh "context-qsh") cannot call the product REST API; sign the request with its own qsh.');
  const expected = qsh(method, url.toString(), siteBaseUrl);
  if (claims.qsh !== expected) {
    throw new AuthError('QSH_MISMATCH', `The token's qsh does not match ${method} ${url.pathname}${url.search ? ' (with its query)' : ''} relative to the site base URL ${siteBaseUrl}.`);
  }
  return { installation, claims };
}
