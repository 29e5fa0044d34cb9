/**
 * Every token the simulated product signs, built with atlassian-jwt (Atlassian's reference
 * implementation) so that what the app verifies is what the real product would send.
 * https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { AsymmetricAlgorithm, createQueryStringHash, encodeAsymmetric, encodeSymmetric, fromMethodAndUrl } from 'atlassian-jwt';

/** Lifetimes in seconds. Lifecycle callbacks and webhooks: 3 minutes; iframe and context tokens: 15 minutes (as observed on Jira Cloud). */
export const LIFETIME = { callback: 180, page: 900, context: 900 };

/** The fixed qsh of context tokens (`AP.context.getToken()`): not bound to a request. */
export const CONTEXT_QSH = 'context-qsh';

/**
 * The query string hash of a request, relative to `baseUrl` (whose path, if any, is not part of the
 * canonical path). The `jwt` query parameter is ignored.
 * @param {string} method @param {string} url absolute URL @param {string} baseUrl
 * @example qsh('POST', 'http://localhost:3000/api/lifecycle/installed', 'http://localhost:3000')
 */
export function qsh(method, url, baseUrl) {
  return createQueryStringHash(fromMethodAndUrl(method.toUpperCase(), url), false, baseUrl);
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/**
 * The RS256 token of a signed-install callback (`installed`, `uninstalled`): header `kid` names the key
 * served at /install-keys/<kid>; `aud` is the app's baseUrl; `qsh` binds it to `POST <url>`.
 * @param {{ key: import('./keys.mjs').InstallKey, clientKey: string, appBaseUrl: string, url: string }} options
 */
export function signInstallToken({ key, clientKey, appBaseUrl, url }) {
  const iat = nowSeconds();
  const claims = { iss: clientKey, aud: appBaseUrl, qsh: qsh('POST', url, appBaseUrl), iat, exp: iat + LIFETIME.callback };
  return encodeAsymmetric(claims, key.privateKeyPem, AsymmetricAlgorithm.RS256, { kid: key.kid });
}

/**
 * An HS256 token signed with the installation's shared secret, bound to one request by its qsh: what
 * the product puts on `enabled`/`disabled` callbacks, webhooks and iframe URLs.
 * @param {{ clientKey: string, sharedSecret: string, method: string, url: string, appBaseUrl: string,
 *   lifetime?: number, claims?: Record<string, unknown> }} options  `claims` are added (`sub`, `context`)
 */
export function signRequestToken({ clientKey, sharedSecret, method, url, appBaseUrl, lifetime = LIFETIME.callback, claims = {} }) {
  const iat = nowSeconds();
  return encodeSymmetric({ iss: clientKey, ...claims, qsh: qsh(method, url, appBaseUrl), iat, exp: iat + lifetime }, sharedSecret);
}

/**
 * The token `AP.context.getToken()` returns: HS256, qsh `context-qsh`, `sub` the user, and the module's
 * context. The app accepts it on its own endpoints (never the product's).
 * @param {{ clientKey: string, sharedSecret: string, accountId: string, context: Record<string, unknown> }} options
 */
export function signContextToken({ clientKey, sharedSecret, accountId, context }) {
  const iat = nowSeconds();
  return encodeSymmetric({ sub: accountId, qsh: CONTEXT_QSH, iss: clientKey, context, exp: iat + LIFETIME.context, iat }, sharedSecret);
}

/**
 * What the log may show of a token: its header fields and claims, never its signature (with the claims
 * and the signature, anyone could replay it until it expires).
 * @param {string} token
 * @returns {{ alg?: string, kid?: string, claims: Record<string, unknown> } | null}
 */
export function describeToken(token) {
  const [header, payload] = token.split('.');
  try {
    const h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    /** @type {{ alg?: string, kid?: string, claims: Record<string, unknown> }} */
    const described = { alg: typeof h.alg === 'string' ? h.alg : undefined, claims: typeof claims === 'object' && claims ? claims : {} };
    if (typeof h.kid === 'string') described.kid = h.kid;
    return described;
  } catch {
    return null;
  }
}

/** Forge Invocation Tokens live 25 seconds in Atlassian's example; the app forgives 5 s of skew. */
export const FIT_LIFETIME_SECONDS = 25;

/**
 * A Forge Invocation Token as Forge signs it for a remote: RS256 with the simulator's Forge key (`kid` in
 * /forge/jwks.json), `iss` forge/invocation-token, `aud` the app id, and the invocation in `app`,
 * `context` and `principal` (both absent for backend calls: events, scheduled triggers, preUninstall).
 * https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-
 * @param {{ key: import('./keys.mjs').InstallKey, appId: string, app: Record<string, unknown>,
 *   context?: Record<string, unknown>, principal?: string, now?: number }} options
 */
export async function signInvocationToken({ key, appId, app, context, principal, now = nowSeconds() }) {
  const privateKey = await importPKCS8(key.privateKeyPem, 'RS256');
  const jwt = new SignJWT({ app: { ...app, id: appId }, ...(context ? { context } : {}), ...(principal ? { principal } : {}) })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer('forge/invocation-token')
    .setAudience(appId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + FIT_LIFETIME_SECONDS)
    .setJti(randomUUID());
  return jwt.sign(privateKey);
}

/**
 * The JWKS that publishes the Forge key (what https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json is for real apps).
 * @param {import('./keys.mjs').InstallKey} key
 */
export function forgeJwks(key) {
  const jwk = createPublicKey(key.publicKeyPem).export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: key.kid, alg: 'RS256', use: 'sig' }] };
}
