/**
 * The few Jira REST resources the sample app uses, answered from the site's fake content in Jira's
 * shapes (v3 and v2 paths alike). Authentication happens before this (rest.mjs); here the caller is a
 * principal: the app itself (app user) or a user the app acts for, limited by the app's scopes.
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/
 */

/**
 * @typedef {object} Principal
 * @property {'app' | 'user'} kind
 * @property {import('./store.mjs').Installation} installation
 * @property {string} [accountId]   for 'user'
 * @property {Set<string>} scopes    what this caller may do
 *
 * @typedef {{ status: number, body: unknown }} ApiResult
 */

/**
 * @param {import('./store.mjs').Site} site
 * @param {string} siteBaseUrl
 * @param {{ method: string, path: string, query: URLSearchParams }} request  path relative to the site base URL
 * @param {Principal} principal
 * @returns {ApiResult}
 * @example productApi(site, base, { method: 'GET', path: '/rest/api/3/myself', query: new URLSearchParams() }, principal)
 */
export function productApi(site, siteBaseUrl, { method, path, query }, principal) {
  const m = /^\/rest\/api\/(?<version>[23]|latest)(?<rest>\/.*)$/.exec(path);
  if (!m?.groups) return notImplemented(method, path);
  const { rest } = m.groups;
  const required = method === 'GET' || method === 'HEAD' ? 'READ' : method === 'DELETE' ? 'DELETE' : 'WRITE';
  if (!principal.scopes.has(required)) {
    return error(403, `The app "${principal.installation.appKey}" needs the ${required} scope for ${method} ${path} (declare it in the descriptor's "scopes").`);
  }

  let match;
  if (method === 'GET' && (match = /^\/issue\/(?<idOrKey>[^/]+)$/.exec(rest))) {
    const idOrKey = decodeURIComponent(match.groups?.idOrKey ?? '');
    const issue = site.issues.find((i) => i.id === idOrKey || i.key.toUpperCase() === idOrKey.toUpperCase());
    if (!issue) return error(404, 'Issue does not exist or you do not have permission to see it.');
    return { status: 200, body: issueJson(site, siteBaseUrl, issue, query.get('fields')) };
  }
  if (method === 'GET' && rest === '/user') {
    const accountId = query.get('accountId');
    if (!accountId) return error(400, 'The accountId query parameter needs to be provided.');
    const user = site.users.find((u) => u.accountId === accountId);
    if (!user) return error(404, 'Specified user does not exist or you do not have required permissions');
    return { status: 200, body: userJson(siteBaseUrl, user) };
  }
  if (method === 'GET' && rest === '/myself') {
    if (principal.kind === 'user') {
      const user = site.users.find((u) => u.accountId === principal.accountId);
      if (!user) return error(401, 'The user this token acts for no longer exists.');
      return { status: 200, body: userJson(siteBaseUrl, user) };
    }
    return { status: 200, body: appUserJson(siteBaseUrl, principal.installation) };
  }
  if (method === 'GET' && rest === '/serverInfo') {
    return { status: 200, body: { baseUrl: siteBaseUrl, displayUrl: siteBaseUrl, version: '1001.0.0-SNAPSHOT', deploymentType: 'Cloud', serverTitle: `Jira (simulated: ${site.name})` } };
  }
  return notImplemented(method, path);
}

/**
 * An issue as `GET /rest/api/3/issue/{key}` returns it; `fields` limits the fields like Jira's
 * `fields` parameter (comma-separated; absent, `*all` or `*navigable` for all).
 * @param {import('./store.mjs').Site} site @param {string} siteBaseUrl
 * @param {import('./seed.mjs').SimIssue} issue @param {string | null} [fields]
 */
export function issueJson(site, siteBaseUrl, issue, fields) {
  /** @type {Record<string, unknown>} */
  const all = {
    summary: issue.summary,
    project: projectJson(site, siteBaseUrl),
    issuetype: { self: `${siteBaseUrl}/rest/api/3/issuetype/10002`, id: '10002', name: 'Task', subtask: false },
    status: { self: `${siteBaseUrl}/rest/api/3/status/1`, name: issue.status, id: statusId(issue.status) },
    // REST v3 returns rich text as Atlassian Document Format.
    description: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: issue.description }] }] },
  };
  const wanted = (fields ?? '*all').split(',').map((f) => f.trim()).filter(Boolean);
  const selected = wanted.some((f) => f === '*all' || f === '*navigable')
    ? all
    : Object.fromEntries(Object.entries(all).filter(([name]) => wanted.includes(name)));
  return { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: issue.id, self: `${siteBaseUrl}/rest/api/3/issue/${issue.id}`, key: issue.key, fields: selected };
}

/** @param {import('./store.mjs').Site} site @param {string} siteBaseUrl */
export function projectJson(site, siteBaseUrl) {
  const { id, key, name } = site.project;
  return { self: `${siteBaseUrl}/rest/api/3/project/${id}`, id, key, name, projectTypeKey: 'software', simplified: false };
}

/**
 * A user as `GET /rest/api/3/user` returns it. No email address: Jira hides it from apps without the
 * ACCESS_EMAIL_ADDRESSES scope and the user's consent.
 * @param {string} siteBaseUrl @param {import('./seed.mjs').SimUser} user
 */
export function userJson(siteBaseUrl, user) {
  return {
    self: `${siteBaseUrl}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
    accountId: user.accountId,
    accountType: 'atlassian',
    avatarUrls: avatarUrls(siteBaseUrl),
    displayName: user.displayName,
    active: true,
    timeZone: user.timeZone,
    locale: user.locale,
  };
}

/** The app's own user, which Jira creates for every Connect app ("accountType": "app"). @param {string} siteBaseUrl @param {import('./store.mjs').Installation} installation */
function appUserJson(siteBaseUrl, installation) {
  const accountId = `557058:app-${installation.clientKey}`;
  return {
    self: `${siteBaseUrl}/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`,
    accountId,
    accountType: 'app',
    avatarUrls: avatarUrls(siteBaseUrl),
    displayName: installation.appName,
    active: true,
    timeZone: 'UTC',
    locale: 'en_US',
  };
}

/** @param {string} siteBaseUrl */
function avatarUrls(siteBaseUrl) {
  const url = `${new URL(siteBaseUrl).origin}/static/avatar.svg`;
  return { '48x48': url, '24x24': url, '16x16': url, '32x32': url };
}

/** @param {string} status */
function statusId(status) {
  return { 'To Do': '10000', 'In Progress': '3', Done: '10001' }[status] ?? '1';
}

/** Jira's error body. @param {number} status @param {string} message @returns {ApiResult} */
export function error(status, message) {
  return { status, body: { errorMessages: [message], errors: {} } };
}

/** @param {string} method @param {string} path @returns {ApiResult} */
function notImplemented(method, path) {
  return error(404, `The Connect host simulator does not implement ${method} ${path}. It answers GET /rest/api/3/issue/{key}, /rest/api/3/user?accountId=, /rest/api/3/myself and /rest/api/3/serverInfo.`);
}
