/**
 * Atlassian's Personal data reporting API, as the simulator plays it for both doors:
 *
 *   Connect  POST /sites/<site>/rest/atlassian-connect/latest/report-accounts   app JWT (qsh checked)
 *   Forge    POST /forge-api/app/report-accounts/                                a system token this simulator
 *                                                                                minted, scope report:personal-data
 *
 * The exchange (https://developer.atlassian.com/cloud/jira/platform/user-privacy-developer-guide/):
 * `{"accounts":[{"accountId","updatedAt"}]}`, 1 to 90 accounts, `updatedAt` in RFC 3339; 200 with
 * `{"accounts":[{"accountId","status":"closed"|"updated"}]}` for the accounts to act on, 204 when there is
 * none, 429 with `Retry-After` when rate-limited, 400 for a malformed body. Accounts are Atlassian's, not a
 * site's: closing one (dashboard, CLI) closes it for every site and app.
 *
 * `closed`: the account was closed (the dashboard's "Close account", or Atlassian's test id
 * 5be24ba3f91c106033269289). `updated`: the profile changed after the `updatedAt` the app reported
 * ("Mark updated"). Atlassian's active test id 5be24ad8b1653240376955d2 is always active.
 *
 * Not emulated: Atlassian's real rate limits (use "Rate-limit next reports"); the `Cycle-Period` header is
 * sent only when HOST_PRIVACY_CYCLE_PERIOD is set, because its exact format could not be confirmed from
 * Atlassian's documentation.
 */
import { HttpError, readBody as readLimitedBody, sendJson } from './http.mjs';
import { siteBaseUrl } from './store.mjs';
import { AuthError, credentialsOf, verifyAppToken } from './verify.mjs';

export const REPORT_LIMIT = 90;
export const TEST_ACCOUNTS = Object.freeze({ active: '5be24ad8b1653240376955d2', closed: '5be24ba3f91c106033269289' });
/** Atlassian's accountIds: `557058:<uuid>`-style or 24 hex digits; generous, but no spaces or control characters. */
const ACCOUNT_ID = /^[\w:-]{1,128}$/;
/** RFC 3339 date-time (section 5.6), with a mandatory offset. */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;
/** Largest body read. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * @typedef {{ status: 'closed' | 'updated', changedAt: string }} AccountChange
 * @typedef {import('./simulator.mjs').Simulator} Simulator
 */

/** The account changes the simulator holds (persisted with the sites). @param {Simulator} sim @returns {Record<string, AccountChange>} */
export function accountChanges(sim) {
  const state = /** @type {any} */ (sim.store.state);
  return (state.accounts ??= {});
}

/**
 * Closes, marks updated, or reopens an Atlassian account, for every site.
 * @param {Simulator} sim @param {string} accountId @param {'close' | 'update' | 'reopen'} action
 */
export function changeAccount(sim, accountId, action) {
  if (!ACCOUNT_ID.test(accountId)) throw new PrivacyError('That is not an account id.');
  const changes = accountChanges(sim);
  if (action === 'reopen') delete changes[accountId];
  else changes[accountId] = { status: action === 'close' ? 'closed' : 'updated', changedAt: new Date().toISOString() };
  sim.store.save();
  sim.log.add({ direction: 'product', kind: 'privacy', note: `account ${accountId} ${action === 'close' ? 'closed' : action === 'update' ? 'profile updated' : 'reopened'}` });
}

/**
 * Answers the next `count` reports (either door) with 429 and `Retry-After: <seconds>`.
 * @param {Simulator} sim @param {number} count @param {number} seconds
 */
export function rateLimitReports(sim, count, seconds) {
  /** @type {any} */ (sim).privacyRateLimit = { remaining: Math.max(0, Math.floor(count)), retryAfter: Math.max(0, Math.floor(seconds)) };
}

export class PrivacyError extends Error {}

/**
 * The Connect door: verifies the app JWT against the site's installation, then answers.
 * @param {Simulator} sim @param {import('./store.mjs').Site} site @param {import('./http.mjs').RouteContext} ctx
 */
export async function handleConnectReport(sim, site, { req, res, url }) {
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const credentials = credentialsOf(req.headers, url);
  let appKey;
  try {
    if (credentials?.scheme !== 'JWT') throw new AuthError('TOKEN_MISSING', 'Send Authorization: JWT <token>, signed as the app.');
    ({ installation: { appKey } } = verifyAppToken(credentials.token, { method: 'POST', url, siteBaseUrl: base, findInstallation: (key) => site.installations[key] }));
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    sim.log.add({ site: site.name, direction: 'app→product', kind: 'privacy', method: 'POST', url: url.toString(), status: 401, note: `report-accounts refused (${err.code}): ${err.message}` });
    return sendJson(res, 401, { errorMessages: [err.message], errors: {} }, { 'www-authenticate': 'JWT realm="Connect host simulator"' });
  }
  const answer = answerReport(sim, await readBody(req));
  sim.log.add({ site: site.name, direction: 'app→product', kind: 'privacy', method: 'POST', url: url.toString(), status: answer.status, note: `report-accounts as ${appKey}: ${answer.note}`, token: credentials.token });
  return send(res, answer);
}

/**
 * The Forge door: a Bearer system token the simulator minted for an installed app with report:personal-data.
 * @param {Simulator} sim @param {import('./http.mjs').RouteContext} ctx
 */
export async function handleForgeReport(sim, { req, res, url }) {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const grant = match ? sim.forgeTokens.lookup(match[1]) : undefined;
  const site = grant ? sim.store.listSites().find((s) => s.cloudId === grant.cloudId) : undefined;
  const log = (/** @type {number} */ status, /** @type {string} */ note) => sim.log.add({ site: site?.name ?? null, direction: 'app→product', kind: 'privacy', method: 'POST', url: url.toString(), status, note });
  const installation = grant && site ? site.forge?.[grant.appId] : undefined;
  if (!grant || grant.kind !== 'system' || !installation || installation.state !== 'installed' || installation.installationId !== grant.installationId) {
    log(401, 'report-accounts refused: send the x-forge-oauth-system token of an installed app');
    return sendJson(res, 401, { code: 401, message: 'Unauthorized: a system token of an installed app is required.' }, { 'www-authenticate': 'Bearer realm="Forge (simulated)"' });
  }
  if (!grant.scopes.includes('report:personal-data')) {
    log(403, 'report-accounts refused: the manifest lacks report:personal-data');
    return sendJson(res, 403, { code: 403, message: 'The app needs the report:personal-data scope (add it to permissions.scopes).' });
  }
  const answer = answerReport(sim, await readBody(req));
  log(answer.status, `report-accounts as Forge app ${grant.appId}: ${answer.note}`);
  return send(res, answer);
}

/**
 * The API's answer to a body, whichever door it came through.
 * @param {Simulator} sim @param {string | null} text
 * @returns {{ status: number, body?: unknown, headers: Record<string, string>, note: string }}
 */
export function answerReport(sim, text) {
  const headers = /** @type {Record<string, string>} */ ({});
  if (sim.config.privacyCyclePeriod) headers['cycle-period'] = sim.config.privacyCyclePeriod;
  const limit = /** @type {any} */ (sim).privacyRateLimit;
  if (limit?.remaining > 0) {
    limit.remaining--;
    return { status: 429, body: { message: 'Rate limited (simulated).' }, headers: { ...headers, 'retry-after': String(limit.retryAfter) }, note: `429, Retry-After ${limit.retryAfter}` };
  }
  const bad = (/** @type {string} */ why) => ({ status: 400, body: { errorMessages: [why], errors: {} }, headers, note: `400: ${why}` });
  if (text === null) return bad(`The body is larger than ${MAX_BODY_BYTES} bytes.`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return bad('The body is not JSON.');
  }
  const accounts = body?.accounts;
  if (!Array.isArray(accounts) || accounts.length < 1) return bad('"accounts" must be a non-empty array.');
  if (accounts.length > REPORT_LIMIT) return bad(`At most ${REPORT_LIMIT} accounts per request (got ${accounts.length}).`);
  const changes = accountChanges(sim);
  const updates = [];
  for (const account of accounts) {
    if (typeof account?.accountId !== 'string' || !ACCOUNT_ID.test(account.accountId)) return bad('Each account needs an "accountId".');
    if (typeof account.updatedAt !== 'string' || !RFC3339.test(account.updatedAt) || !Number.isFinite(Date.parse(account.updatedAt))) {
      return bad('Each account needs "updatedAt" as an RFC 3339 date-time, e.g. 2026-12-01T10:00:00.000Z.');
    }
    const change = account.accountId === TEST_ACCOUNTS.closed ? { status: 'closed', changedAt: '1970-01-01T00:00:00Z' } : account.accountId === TEST_ACCOUNTS.active ? undefined : changes[account.accountId];
    if (change?.status === 'closed') updates.push({ accountId: account.accountId, status: 'closed' });
    else if (change?.status === 'updated' && Date.parse(change.changedAt) > Date.parse(account.updatedAt)) updates.push({ accountId: account.accountId, status: 'updated' });
  }
  const counts = `${accounts.length} account(s) reported, ${updates.filter((u) => u.status === 'closed').length} closed, ${updates.filter((u) => u.status === 'updated').length} updated`;
  if (!updates.length) return { status: 204, headers, note: `204: ${counts}` };
  return { status: 200, body: { accounts: updates }, headers, note: `200: ${counts}` };
}

/** @param {import('node:http').ServerResponse} res @param {{ status: number, body?: unknown, headers: Record<string, string> }} answer */
function send(res, { status, body, headers }) {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  sendJson(res, status, body, headers);
}

/**
 * The request body as text, or null beyond the limit (answerReport says so with a 400).
 * @param {import('node:http').IncomingMessage} req @returns {Promise<string | null>}
 */
async function readBody(req) {
  try {
    return (await readLimitedBody(req, MAX_BODY_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof HttpError && err.status === 413) return null;
    throw err;
  }
}
