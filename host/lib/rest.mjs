/**
 * The product REST API as apps reach it: `<site base>/rest/...`, authenticated either as the app (a JWT
 * signed with the shared secret, checked by verify.mjs) or as a user (a Bearer token from /oauth2/token),
 * then answered by product-api.mjs. Also the same API as the iframe reaches it through `AP.request`,
 * which the host page forwards with the signed-in user's identity.
 */
import { grantedScopes } from './descriptor.mjs';
import { sendJson } from './http.mjs';
import { productApi } from './product-api.mjs';
import { takeRateLimit } from './rate-limit.mjs';
import { siteBaseUrl } from './store.mjs';
import { AuthError, credentialsOf, verifyAppToken } from './verify.mjs';

/**
 * @param {import('./simulator.mjs').Simulator} sim
 * @param {import('./store.mjs').Site} site
 * @param {import('./http.mjs').RouteContext} ctx
 * @param {string} path relative to the site base URL, e.g. /rest/api/3/myself
 */
export async function handleRest(sim, site, { req, res, url }, path) {
  const method = req.method ?? 'GET';
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const log = (/** @type {number} */ status, /** @type {string} */ note, /** @type {string | undefined} */ token) =>
    sim.log.add({ site: site.name, direction: 'app→product', kind: 'rest', method, url: url.toString(), status, note, token });

  const credentials = credentialsOf(req.headers, url);
  /** @type {import('./product-api.mjs').Principal} */
  let principal;
  try {
    if (!credentials) throw new AuthError('TOKEN_MISSING', 'No credentials: send Authorization: JWT <token> (as the app) or Bearer <token> (as a user).');
    if (credentials.scheme === 'JWT') {
      const { installation } = verifyAppToken(credentials.token, {
        method, url, siteBaseUrl: base, findInstallation: (appKey) => site.installations[appKey],
      });
      principal = { kind: 'app', installation, scopes: grantedScopes(installation.descriptor) };
    } else {
      const grant = sim.accessTokens.lookup(credentials.token);
      if (!grant || grant.site !== site.name) throw new AuthError('BAD_ACCESS_TOKEN', 'The Bearer token is unknown, expired, or for another site.');
      const installation = site.installations[grant.appKey];
      if (installation?.state !== 'enabled') throw new AuthError('APP_NOT_ENABLED', `The app "${grant.appKey}" is not enabled on this site.`);
      principal = { kind: 'user', installation, accountId: grant.accountId, scopes: grant.scopes };
    }
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    log(401, `refused (${err.code}): ${err.message}`, credentials?.scheme === 'JWT' ? credentials.token : undefined);
    return sendJson(res, 401, { errorMessages: [err.message], errors: {} }, { 'www-authenticate': 'JWT realm="Connect host simulator"' });
  }

  const limited = takeRateLimit(site);
  if (limited) {
    log(limited.status, `rate-limited (simulated): Retry-After ${limited.headers['retry-after']} s`, credentials.scheme === 'JWT' ? credentials.token : undefined);
    return sendJson(res, limited.status, limited.body, limited.headers);
  }
  const result = productApi(site, base, { method, path, query: url.searchParams }, principal);
  const who = principal.kind === 'app' ? `as the app ${principal.installation.appKey}` : `as ${principal.accountId} (Bearer, via ${principal.installation.appKey})`;
  log(result.status, who, credentials.scheme === 'JWT' ? credentials.token : undefined);
  return sendJson(res, result.status, result.body);
}

/**
 * `AP.request` from an app iframe, forwarded by the host page: runs as the signed-in user, limited to
 * the app's scopes, and answers what the iframe's xhr-like object needs.
 * @param {import('./simulator.mjs').Simulator} sim
 * @param {import('./store.mjs').Site} site
 * @param {import('./store.mjs').Installation} installation
 * @param {string} accountId
 * @param {{ url: string, type: string }} request
 */
export function requestAsUser(sim, site, installation, accountId, { url, type }) {
  const method = type.toUpperCase();
  const base = siteBaseUrl(sim.config.hostUrl, site);
  // AP.request URLs are relative to the product's context path; an absolute URL on another host is refused.
  if (!url.startsWith('/') || url.startsWith('//')) {
    return { status: 400, body: { errorMessages: ['AP.request needs a URL relative to the product, e.g. /rest/api/3/myself.'], errors: {} } };
  }
  const target = new URL(url, 'http://product.invalid');
  const result = productApi(site, base, { method, path: target.pathname, query: target.searchParams }, {
    kind: 'user', installation, accountId, scopes: grantedScopes(installation.descriptor),
  });
  sim.log.add({
    site: site.name, direction: 'browser→product', kind: 'rest', method, url: `${base}${url}`, status: result.status,
    note: `AP.request from ${installation.appKey} as ${accountId}`,
  });
  return result;
}
