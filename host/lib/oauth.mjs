/**
 * The authorization server of user impersonation (Atlassian's is
 * https://oauth-2-authorization-server.services.atlassian.com): `POST /oauth2/token` with the JWT bearer
 * grant (RFC 7523). The app signs an assertion with the installation's shared secret:
 *   iss  urn:atlassian:connect:clientid:<oauthClientId from the install payload>
 *   sub  urn:atlassian:connect:useraccountid:<accountId>
 *   tnt  the site's base URL       aud  this server's URL (CONNECT_OAUTH_URL)
 *   iat, exp
 * and gets `{ access_token, token_type: 'Bearer', expires_in }`, which acts as that user on the site's
 * REST API, limited to the app's scopes. The app needs the ACT_AS_USER scope.
 * https://developer.atlassian.com/cloud/jira/platform/user-impersonation-for-connect-apps/
 */
import { decodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { stripTrailingSlashes } from '../../lib/url.mjs';
import { grantedScopes, withImpliedScopes } from './descriptor.mjs';
import { IssuedTokens } from './issued-tokens.mjs';
import { siteBaseUrl } from './store.mjs';
import { describeToken } from './tokens.mjs';
import { CLOCK_LEEWAY } from './verify.mjs';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_SECONDS = 900;
const MAX_ACCESS_TOKENS = 1000;
const ISS_PREFIX = 'urn:atlassian:connect:clientid:';
const SUB_PREFIX = 'urn:atlassian:connect:useraccountid:';

/**
 * @typedef {object} AccessToken
 * @property {string} site
 * @property {string} appKey
 * @property {string} accountId
 * @property {Set<string>} scopes
 */

/**
 * Access tokens issued by this process: in memory, bounded, forgotten on restart (like expiry, sooner).
 * @extends {IssuedTokens<AccessToken>}
 */
export class AccessTokens extends IssuedTokens {
  constructor() {
    super({ lifetimeSeconds: ACCESS_TOKEN_SECONDS, max: MAX_ACCESS_TOKENS, prefix: 'simulated.' });
  }
}

/**
 * Answers a token request.
 * @param {import('./simulator.mjs').Simulator} sim
 * @param {Record<string, string>} form the urlencoded body
 * @returns {{ status: number, body: Record<string, unknown>, site?: string, note: string, assertion?: string }}
 */
export function tokenRequest(sim, form) {
  const fail = (/** @type {number} */ status, /** @type {string} */ error, /** @type {string} */ description) =>
    ({ status, body: { error, error_description: description }, note: description, assertion: form.assertion });
  if (form.grant_type !== JWT_BEARER_GRANT) return fail(400, 'unsupported_grant_type', `grant_type must be ${JWT_BEARER_GRANT}.`);
  if (!form.assertion) return fail(400, 'invalid_request', 'The assertion parameter is required.');

  const described = describeToken(form.assertion);
  const iss = described?.claims.iss;
  if (typeof iss !== 'string' || !iss.startsWith(ISS_PREFIX)) return fail(400, 'invalid_grant', `The assertion's iss must be ${ISS_PREFIX}<oauthClientId>.`);
  const oauthClientId = iss.slice(ISS_PREFIX.length);
  const found = findByOauthClientId(sim, oauthClientId);
  if (!found) return fail(401, 'invalid_client', 'No installation has this oauthClientId (it comes from the installed payload).');
  const { site, installation } = found;
  if (installation.state !== 'enabled') return fail(401, 'invalid_client', `The app is ${installation.state} on ${site.name}.`);
  if (described?.alg !== 'HS256') return fail(400, 'invalid_grant', 'The assertion must be signed with HS256 and the shared secret.');

  /** @type {Record<string, any>} */
  let claims;
  try {
    claims = decodeSymmetric(form.assertion, installation.sharedSecret, SymmetricAlgorithm.HS256);
  } catch {
    return { ...fail(400, 'invalid_grant', 'The assertion signature does not match the shared secret.'), site: site.name };
  }
  const now = Math.floor(Date.now() / 1000);
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const problem =
    typeof claims.exp !== 'number' || claims.exp + CLOCK_LEEWAY < now ? 'The assertion has expired (or has no exp).'
    : typeof claims.iat !== 'number' || claims.iat - CLOCK_LEEWAY > now ? 'The assertion has no iat, or one in the future.'
    : !audienceIs(claims.aud, sim.config.hostUrl) ? `The assertion's aud must be the authorization server, ${sim.config.hostUrl} (CONNECT_OAUTH_URL).`
    : stripTrailingSlashes(String(claims.tnt ?? '')) !== base ? `The assertion's tnt must be the site's base URL, ${base}.`
    : typeof claims.sub !== 'string' || !claims.sub.startsWith(SUB_PREFIX) ? `The assertion's sub must be ${SUB_PREFIX}<accountId>.`
    : null;
  if (problem) return { ...fail(400, 'invalid_grant', problem), site: site.name };
  const accountId = claims.sub.slice(SUB_PREFIX.length);
  if (!site.users.some((u) => u.accountId === accountId)) return { ...fail(400, 'invalid_grant', `No user ${accountId} on ${site.name}.`), site: site.name };

  const granted = grantedScopes(installation.descriptor);
  if (!granted.has('ACT_AS_USER')) return { ...fail(403, 'unauthorized_client', 'The app does not have the ACT_AS_USER scope.'), site: site.name };
  const requested = (form.scope ?? '').split(/[\s+]+/).filter(Boolean).map((s) => s.toUpperCase());
  const notGranted = requested.filter((s) => !granted.has(s));
  if (notGranted.length) return { ...fail(400, 'invalid_scope', `The app's descriptor does not grant ${notGranted.join(', ')}.`), site: site.name };
  // A token never does more than the app may; asking for less (a subset) narrows it.
  const scopes = requested.length ? withImpliedScopes(requested) : granted;

  const accessToken = sim.accessTokens.issue({ site: site.name, appKey: installation.appKey, accountId, scopes });
  return {
    status: 200,
    body: { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS },
    site: site.name,
    note: `access token for ${accountId} (${[...scopes].join(' ')}), ${ACCESS_TOKEN_SECONDS} s`,
    assertion: form.assertion,
  };
}

/** @param {import('./simulator.mjs').Simulator} sim @param {string} oauthClientId */
function findByOauthClientId(sim, oauthClientId) {
  for (const site of sim.store.listSites()) {
    for (const installation of Object.values(site.installations)) {
      if (installation.oauthClientId === oauthClientId) return { site, installation };
    }
  }
  return undefined;
}

/** @param {unknown} aud @param {string} expected */
function audienceIs(aud, expected) {
  const values = Array.isArray(aud) ? aud : [aud];
  return values.some((v) => typeof v === 'string' && stripTrailingSlashes(v) === expected);
}
