/**
 * The product API as a Forge Remote reaches it: `<host>/forge-api/ex/jira/<cloudId>/rest/...` (the
 * simulator's stand-in for https://api.atlassian.com/ex/jira/<cloudId>, the FIT's `app.apiBaseUrl`), with
 * `Authorization: Bearer <token>` where the token is one the simulator minted and sent in the
 * `x-forge-oauth-system` (as the app) or `x-forge-oauth-user` (as the invoking user) header. Anything
 * else is refused with 401. Scopes are the manifest's (`read:jira-work`, `read:jira-user`).
 * https://developer.atlassian.com/platform/forge/remote/calling-product-apis/
 */
import { sendJson } from './http.mjs';
import { IssuedTokens } from './issued-tokens.mjs';
import { error, productApi } from './product-api.mjs';
import { takeRateLimit } from './rate-limit.mjs';
import { siteBaseUrl } from './store.mjs';

/** How long a minted token is accepted, in seconds. */
export const FORGE_OAUTH_TOKEN_LIFETIME = 900;

/**
 * @typedef {object} ForgeGrant  what a minted token stands for
 * @property {'system' | 'user'} kind
 * @property {string} site
 * @property {string} cloudId
 * @property {string} appId
 * @property {string} installationId
 * @property {string} [accountId]   for 'user'
 * @property {string[]} scopes      the manifest's
 */

/**
 * The opaque tokens the simulator hands to remotes, in memory (a restart forgets them, as an expiry would).
 * @extends {IssuedTokens<ForgeGrant>}
 */
export class ForgeTokens extends IssuedTokens {
  constructor() {
    super({ lifetimeSeconds: FORGE_OAUTH_TOKEN_LIFETIME });
  }
}

/** Which manifest scope each resource needs (Jira's OAuth 2.0 scopes). */
const SCOPE_OF = [
  { path: /^\/rest\/api\/[23]\/issue\//, scope: 'read:jira-work' },
  { path: /^\/rest\/api\/[23]\/serverInfo$/, scope: 'read:jira-work' },
  { path: /^\/rest\/api\/[23]\/(user|myself)$/, scope: 'read:jira-user' },
];

/** Jira's "Get app property" (Connect app properties, readable by a Forge app with `app.connect.key`). */
const CONNECT_PROPERTY = /^\/rest\/atlassian-connect\/1\/addons\/([^/]+)\/properties\/([^/]+)$/;

/** The reserved key whose synthetic, read-only value is the Connect clientKey of the site's installation. */
export const CONNECT_CLIENT_KEY_PROPERTY = 'connect_client_key_019cdff3-8bfb-71fe-9628-875b700aebb8';

/**
 * GET /rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey} as a Forge app reaches it: only the
 * reserved property is emulated, for the app whose `app.connect.key` is `addonKey` (here: the Connect app this
 * Forge installation was upgraded from), as the app; `{ key, value, self }` with the clientKey as `value`.
 * Anything else answers 404 as Jira does for a property that does not exist.
 * @param {import('./simulator.mjs').Simulator} sim @param {any} site @param {any} installation
 * @param {ForgeGrant} grant @param {string} addonKey @param {string} propertyKey @param {URL} url
 */
function connectAppProperty(sim, site, installation, grant, addonKey, propertyKey, url) {
  const connect = installation.connectAppKey === addonKey ? site.installations?.[addonKey] : undefined;
  if (grant.kind !== 'system' || propertyKey !== CONNECT_CLIENT_KEY_PROPERTY || !connect || connect.state === 'uninstalled') {
    return { status: 404, body: { message: 'Property with key not found.', statusCode: 404 } };
  }
  const self = `${siteBaseUrl(sim.config.hostUrl, site)}/rest/atlassian-connect/1/addon/${encodeURIComponent(addonKey)}/properties/${propertyKey}`;
  return { status: 200, body: { self, key: propertyKey, value: connect.clientKey } };
}

/**
 * @param {import('./simulator.mjs').Simulator} sim
 * @param {import('./http.mjs').RouteContext} ctx
 * @param {string} cloudId
 * @param {string} path  below the API base, e.g. /rest/api/3/issue/NOTE-1
 */
export function handleForgeRest(sim, { req, res, url }, cloudId, path) {
  const method = req.method ?? 'GET';
  const site = sim.store.listSites().find((s) => s.cloudId === cloudId);
  const log = (/** @type {number} */ status, /** @type {string} */ note) =>
    sim.log.add({ site: site?.name ?? null, direction: 'app→product', kind: 'rest', method, url: url.toString(), status, note });
  const refuse = (/** @type {string} */ why) => {
    log(401, `refused: ${why}`);
    return sendJson(res, 401, { code: 401, message: why }, { 'www-authenticate': 'Bearer realm="Forge (simulated)"' });
  };

  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return refuse('No Bearer token: send the x-forge-oauth-system or x-forge-oauth-user token Forge gave the remote.');
  const grant = sim.forgeTokens.lookup(match[1]);
  if (!grant) return refuse('The token is unknown or expired (only tokens this simulator minted are accepted).');
  if (!site || grant.cloudId !== cloudId) return refuse('The token was minted for another site.');
  const installation = site.forge?.[grant.appId];
  if (!installation || installation.state !== 'installed' || installation.installationId !== grant.installationId) {
    return refuse('The app is not installed on this site any more.');
  }
  const property = CONNECT_PROPERTY.exec(path);
  if (property && method === 'GET') {
    const { status, body } = connectAppProperty(sim, site, installation, grant, decodeURIComponent(property[1]), decodeURIComponent(property[2]), url);
    log(status, status === 200 ? 'the Connect clientKey of this Forge installation (reserved app property)' : 'no such app property');
    return sendJson(res, status, body);
  }
  const needed = SCOPE_OF.find((s) => s.path.test(path))?.scope;
  if (needed && !grant.scopes.includes(needed)) {
    log(403, `the manifest lacks ${needed}`);
    const { status, body } = error(403, `The app needs the ${needed} scope for ${method} ${path} (add it to permissions.scopes).`);
    return sendJson(res, status, body);
  }
  const limited = takeRateLimit(site);
  if (limited) {
    log(limited.status, `rate-limited (simulated): Retry-After ${limited.headers['retry-after']} s`);
    return sendJson(res, limited.status, limited.body, limited.headers);
  }
  // product-api.mjs checks Connect's scope names; the Forge scope was checked above, so reads are allowed.
  const result = productApi(site, siteBaseUrl(sim.config.hostUrl, site), { method, path, query: url.searchParams }, {
    kind: grant.kind === 'user' ? 'user' : 'app',
    accountId: grant.accountId,
    installation: /** @type {any} */ ({ appKey: grant.appId, appName: installation.appName, clientKey: grant.installationId }),
    scopes: new Set(['READ']),
  });
  log(result.status, grant.kind === 'user' ? `as ${grant.accountId} (x-forge-oauth-user)` : 'as the app (x-forge-oauth-system)');
  return sendJson(res, result.status, result.body);
}
