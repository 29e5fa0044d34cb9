/**
 * The iframe URL of a module, built as the product builds it: the module's URL on the app's baseUrl with
 * its context variables substituted, then the standard Connect parameters, then a `jwt` whose qsh covers
 * all of the above (so the app can prove every parameter came from the product).
 *
 * The parameters are those Jira Cloud sends today, as seen on real iframe URLs:
 *   xdm_e  the product's origin          xdm_c  channel-<appKey>__<moduleKey>
 *   cp     the context path (here /sites/<name>; '' on Jira, /wiki on Confluence)
 *   xdm_deprecated_addon_key_do_not_use  the app key
 *   lic    'active' or 'none' (license.mjs: 'none' unless the site's license is set active)
 *   cv     the Connect version, 1001.0.0-SNAPSHOT
 * `tz`, `loc`, `user_id` and `user_key` are gone since Atlassian's GDPR changes: the user is the JWT's
 * `sub` (an accountId), and locale/time zone come from the REST API.
 */
import { stripTrailingSlashes } from '../../lib/url.mjs';
import { substituteContext } from './descriptor.mjs';
import { connectContextLicense, connectLic } from './license.mjs';
import { LIFETIME, signRequestToken } from './tokens.mjs';

export const CONNECT_VERSION = '1001.0.0-SNAPSHOT';
const ISSUE_TYPE = { id: '10002', name: 'Task' };

/** @typedef {import('./store.mjs').Site} Site */
/** @typedef {import('./seed.mjs').SimIssue} SimIssue */

/**
 * The values of a page's `{...}` URL variables.
 * @param {Site} site @param {SimIssue | undefined} issue
 * @returns {Record<string, string>}
 */
export function contextVariables(site, issue) {
  if (!issue) return {};
  return { 'issue.key': issue.key, 'issue.id': issue.id, 'issuetype.id': ISSUE_TYPE.id, 'project.key': site.project.key, 'project.id': site.project.id };
}

/**
 * What `AP.context.getContext()` returns in this module, and the `context` claim of its context tokens.
 * @param {Site} site @param {SimIssue | undefined} issue @param {string} siteBaseUrl
 */
export function moduleContext(site, issue, siteBaseUrl) {
  const jira = issue
    ? { issue: { key: issue.key, id: issue.id, issuetype: { id: ISSUE_TYPE.id } }, project: { key: site.project.key, id: site.project.id } }
    : {};
  return { jira, license: connectContextLicense(site), url: { displayUrl: siteBaseUrl, displayUrlServicedeskHelpCenter: siteBaseUrl } };
}

/**
 * @param {{ site: Site, installation: import('./store.mjs').Installation, module: import('./descriptor.mjs').ModuleView,
 *   issue?: SimIssue, accountId: string, siteBaseUrl: string }} options
 * @returns {{ src: string, channel: string, appOrigin: string, token: string }}
 * @example iframeSrc({ site, installation, module: issuePanels(descriptor)[0], issue, accountId, siteBaseUrl })
 */
export function iframeSrc({ site, installation, module, issue, accountId, siteBaseUrl }) {
  const appBaseUrl = stripTrailingSlashes(installation.descriptor.baseUrl);
  const path = substituteContext(module.url, contextVariables(site, issue));
  const base = new URL(siteBaseUrl);
  const channel = `channel-${installation.appKey}__${module.key}`;
  const params = new URLSearchParams({
    xdm_e: base.origin,
    xdm_c: channel,
    cp: stripTrailingSlashes(base.pathname),
    xdm_deprecated_addon_key_do_not_use: installation.appKey,
    lic: connectLic(site),
    cv: CONNECT_VERSION,
  });
  // Appended as text, not through URL/URLSearchParams, so the module's own query stays byte for byte.
  const unsigned = `${appBaseUrl}${path}${path.includes('?') ? '&' : '?'}${params}`;
  const token = signRequestToken({
    clientKey: installation.clientKey,
    sharedSecret: installation.sharedSecret,
    method: 'GET',
    url: unsigned,
    appBaseUrl,
    lifetime: LIFETIME.page,
    // Jira Cloud's iframe tokens carry the user as `sub` and an empty context.
    claims: { sub: accountId, context: {} },
  });
  return { src: `${unsigned}&jwt=${token}`, channel, appOrigin: new URL(appBaseUrl).origin, token };
}
