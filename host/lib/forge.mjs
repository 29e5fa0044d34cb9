/**
 * The simulator's Forge platform, for a Forge-native app whose backend is a Forge Remote:
 *
 *   install      from manifest.yml (variables substituted), a new installationId; `avi:forge:installed:app`
 *                to the trigger's endpoint. The installation exists whatever the remote answers (Forge
 *                events are asynchronous), and the answer is logged.
 *   upgrade      a Connect installation becomes Connect-on-Forge: `installed` is sent again carrying the
 *                installationId, `enabled`/`disabled` stop, then the Forge modules appear
 *                (`avi:forge:upgraded:app`).
 *   invoke       what `invokeRemote` in Custom UI becomes: a FIT-signed HTTPS request to
 *                `<remote baseUrl><path>` with the tokens the endpoint's `auth` asks for.
 *   events       product events to the triggers' endpoints, as Forge sends them: POST, a FIT for the
 *                endpoint (`app.module` = core:endpoint and the endpoint's key) without `principal` or
 *                `context` (the site is in `app.apiBaseUrl`), 5 s timeout, up to 4 retries of the same
 *                payload, every attempt logged.
 *   uninstall    the `preUninstall` endpoint is called (signed like an event), then the installation is gone.
 * https://developer.atlassian.com/platform/forge/remote/essentials/
 */
import { randomUUID } from 'node:crypto';
import { LifecycleError, sendInstalled } from './lifecycle.mjs';
import { endpointOf, loadForgeManifest, modulesOf, remoteUrl } from './forge-manifest.mjs';
import { forgeAppLicense } from './license.mjs';
import { isSuccess, noAnswerReason } from './outbound.mjs';
import { issueJson, userJson } from './product-api.mjs';
import { siteBaseUrl } from './store.mjs';
import { signInvocationToken } from './tokens.mjs';

/** @typedef {import('./simulator.mjs').Simulator} Simulator */
/** @typedef {import('./store.mjs').Site} Site */
/** @typedef {import('./forge-manifest.mjs').ForgeApp} ForgeApp */

/**
 * @typedef {object} ForgeInstallation  one Forge app on one site, as the product records it
 * @property {string} appId
 * @property {string} appName
 * @property {string} installationId   ari:cloud:ecosystem::installation/<uuid>
 * @property {{ type: 'DEVELOPMENT', id: string }} environment
 * @property {string} appVersion
 * @property {string} manifestPath     where its resources are read from
 * @property {Record<string, any>} manifest  the deployed version, variables substituted
 * @property {string[]} scopes
 * @property {'installed' | 'uninstalled'} state
 * @property {string | null} connectAppKey  the Connect app it upgraded, if any
 * @property {string} installedAt
 * @property {string} updatedAt
 * @property {string | null} lastError
 *
 * @typedef {object} ForgeAttempt
 * @property {number | null} status  null: no answer
 * @property {string} at
 * @property {string} [problem]
 *
 * @typedef {object} ForgeDelivery  one event to one trigger, kept so it can be sent again
 * @property {string} id
 * @property {string} appId
 * @property {string} eventType
 * @property {string} moduleKey      the trigger (or preUninstall) module
 * @property {string} endpointKey
 * @property {Record<string, any>} body
 * @property {ForgeAttempt[]} attempts
 * @property {number | null} status  the last attempt's
 */

/** The remote contract for events: "Timeout 5s, Retries 4". https://developer.atlassian.com/platform/forge/forge-remote-invocation-contract */
export const EVENT_TIMEOUT_MS = 5000;
export const EVENT_MAX_RETRIES = 4;
/** UI invocations: 25 s, no retries. */
export const UI_TIMEOUT_MS = 25_000;
const MAX_DELIVERIES = 50;
const ISSUE_TYPE = { id: '10002', name: 'Task' };

export class ForgeError extends Error {
  /** @param {string} message safe to show @param {number} [status] */
  constructor(message, status = 400) {
    super(message);
    this.name = 'ForgeError';
    this.status = status;
  }
}

/** The app in HOST_FORGE_MANIFEST, read now (so an edited manifest is picked up by the next install). @param {Simulator} sim */
export function forgeApp(sim) {
  return loadForgeManifest(sim.config.forgeManifest, sim.config.forgeVariables);
}

/** @param {Site} site @returns {Record<string, ForgeInstallation>} */
export function forgeInstallations(site) {
  site.forge ??= {};
  return site.forge;
}

/** @param {Site} site @returns {ForgeInstallation[]} */
export function installedForgeApps(site) {
  return Object.values(forgeInstallations(site)).filter((i) => i.state === 'installed');
}

/** The app as its installation recorded it (the deployed manifest). @param {ForgeInstallation} installation @returns {ForgeApp} */
export function appOf(installation) {
  return { appId: installation.appId, manifestPath: installation.manifestPath, manifest: installation.manifest, scopes: installation.scopes };
}

/**
 * Installs the Forge app on `site` (again, if it was uninstalled: a new installationId, as Forge does).
 * @param {Simulator} sim @param {Site} site @param {{ installerAccountId?: string }} [options]
 * @returns {Promise<ForgeInstallation>}
 */
export function installForgeApp(sim, site, { installerAccountId } = {}) {
  return sim.serialize(site.name, async () => {
    const app = forgeApp(sim);
    const current = forgeInstallations(site)[app.appId];
    if (current?.state === 'installed') throw new ForgeError(`${app.appId} is already installed on ${site.name}.`, 409);
    const installation = record(app, `ari:cloud:ecosystem::installation/${randomUUID()}`, null);
    forgeInstallations(site)[app.appId] = installation;
    sim.store.save();
    sim.log.add({ site: site.name, direction: 'product', kind: 'forge', note: `installed Forge app ${app.appId} from ${app.manifestPath} (${installation.installationId})` });
    await sendLifecycleEvent(sim, site, installation, 'avi:forge:installed:app', installerAccountId ?? site.users[0].accountId);
    return installation;
  });
}

/**
 * Upgrades a Connect installation to Forge (Connect-on-Forge, then the Forge modules of the manifest):
 * the Connect `installed` callback is sent again with the installation's `installationId` (as Atlassian
 * does once an app is registered on Forge), `enabled`/`disabled` are no longer sent, and the Forge
 * installation shares that installationId, which is how the app links the two.
 * https://developer.atlassian.com/platform/adopting-forge-from-connect/migrate-connect-clientkey
 * @param {Simulator} sim @param {Site} site @param {string | undefined} appKey  the Connect app (default: the only one)
 * @returns {Promise<ForgeInstallation>}
 */
export function upgradeConnectToForge(sim, site, appKey) {
  return sim.serialize(site.name, async () => {
    const candidates = Object.values(site.installations).filter((i) => i.state !== 'uninstalled' && (!appKey || i.appKey === appKey));
    if (candidates.length !== 1) throw new ForgeError(appKey ? `${appKey} is not installed on ${site.name}.` : `Name the Connect app to upgrade on ${site.name} (appKey): ${candidates.length} are installed.`);
    const connect = candidates[0];
    const app = forgeApp(sim);
    if (forgeInstallations(site)[app.appId]?.state === 'installed') throw new ForgeError(`${app.appId} is already installed on ${site.name}.`, 409);

    connect.onForge = true;
    try {
      await sendInstalled(sim, site, connect, 'installed again: the app is now registered on Forge (Connect-on-Forge)');
    } catch (err) {
      connect.onForge = false;
      sim.store.save();
      if (err instanceof LifecycleError) throw new ForgeError(err.message);
      throw err;
    }
    const installation = record(app, connect.installationId, connect.appKey);
    forgeInstallations(site)[app.appId] = installation;
    sim.store.save();
    sim.log.add({ site: site.name, direction: 'product', kind: 'forge', note: `upgraded ${connect.appKey} to Forge app ${app.appId}: Connect modules stay (Connect-on-Forge), Forge modules added (${installation.installationId})` });
    await sendLifecycleEvent(sim, site, installation, 'avi:forge:upgraded:app', site.users[0].accountId);
    return installation;
  });
}

/**
 * Uninstalls: the `preUninstall` endpoint hears it first (its answer changes nothing, as on Forge), then
 * the installation is gone: no module renders, no token it held is accepted.
 * @param {Simulator} sim @param {Site} site @param {string} [appId]
 */
export function uninstallForgeApp(sim, site, appId) {
  return sim.serialize(site.name, async () => {
    const installation = requireForge(site, appId);
    for (const module of modulesOf(appOf(installation)).preUninstall) {
      if (!module.endpoint) continue;
      await deliver(sim, site, installation, newDelivery(installation, 'avi:forge:uninstalled:app', module.key, module.endpoint, lifecyclePayload(site, installation, 'avi:forge:uninstalled:app', site.users[0].accountId)));
    }
    installation.state = 'uninstalled';
    installation.updatedAt = new Date().toISOString();
    sim.store.save();
    sim.log.add({ site: site.name, direction: 'product', kind: 'forge', note: `uninstalled Forge app ${installation.appId} (${installation.installationId})` });
    return installation;
  });
}

/**
 * What `invokeRemote(input)` from a Custom UI module becomes: checks the module, the endpoint and the
 * path, signs a FIT for the signed-in user and this module's context, and calls the remote. Answers the
 * bridge's shape: `{ success, payload | error: { status, headers, body } }`.
 * @param {Simulator} sim @param {Site} site
 * @param {{ appId: string, moduleKey: string, issueKey?: string, accountId: string,
 *   request: { path?: unknown, method?: unknown, headers?: unknown, body?: unknown } }} call
 */
export async function invokeRemote(sim, site, { appId, moduleKey, issueKey, accountId, request }) {
  const installation = requireForge(site, appId);
  const app = appOf(installation);
  const { issuePanels, globalPages } = modulesOf(app);
  const module = [...issuePanels.map((m) => ({ ...m, type: 'jira:issuePanel' })), ...globalPages.map((m) => ({ ...m, type: 'jira:globalPage' }))].find((m) => m.key === moduleKey);
  if (!module) throw new ForgeError(`The app has no UI module "${moduleKey}".`, 404);
  if (!module.resolver?.endpoint) throw new ForgeError(`invokeRemote needs resolver.endpoint on the module "${moduleKey}" in manifest.yml.`);
  const endpoint = endpointOf(app, module.resolver.endpoint);
  const method = String(request.method ?? 'GET').toUpperCase();
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw new ForgeError(`invokeRemote: method ${method} is not one of GET, POST, PUT, PATCH, DELETE.`);
  const path = request.path;
  // The path is appended to the remote's baseUrl; it must stay on that remote.
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.includes('\\')) throw new ForgeError('invokeRemote: path must start with a single "/".');
  const issue = module.type === 'jira:issuePanel' ? findIssue(site, issueKey) : undefined;
  if (module.type === 'jira:issuePanel' && !issue) throw new ForgeError(`There is no issue ${issueKey} on ${site.name}.`, 404);

  const url = remoteUrl(app, endpoint, path);
  const token = await signInvocationToken({
    key: sim.forgeKey, appId, principal: accountId,
    app: appClaim(sim, site, installation, { type: module.type, key: module.key }),
    context: { cloudId: site.cloudId, siteUrl: siteBaseUrl(sim.config.hostUrl, site), moduleKey: module.key, extension: extensionOf(site, module.type, issue) },
  });
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...oauthHeaders(sim, site, installation, endpoint, accountId) };
  for (const [name, value] of Object.entries(typeof request.headers === 'object' && request.headers ? request.headers : {})) {
    // Forge owns these: the app cannot forge its own token or identity headers.
    if (!/^(authorization|x-forge-|host$|content-length$)/i.test(name) && typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  let body;
  if (request.body !== undefined && method !== 'GET') {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  const answer = await call(url, { method, headers: { ...headers, authorization: `Bearer ${token}` }, body }, UI_TIMEOUT_MS);
  sim.log.add({
    site: site.name, direction: 'product→app', kind: 'forge', method, url, status: answer.status,
    note: `invokeRemote from ${module.key} as ${accountId}${answer.problem ? ` — ${answer.problem}` : ''}`,
    token, details: { tokens: Object.keys(headers).filter((h) => h.startsWith('x-forge-oauth-')), body: request.body, answer: answer.text?.slice(0, 500) },
  });
  if (answer.status === null) return { success: false, error: { status: 504, headers: {}, body: { error: 'REMOTE_UNREACHABLE', message: answer.problem } } };
  const response = { status: answer.status, headers: answer.headers, body: parseBody(answer.text) };
  return isSuccess(answer.status) ? { success: true, payload: response } : { success: false, error: response };
}

/**
 * Sends a product event to every installed Forge app whose triggers list it.
 *   avi:jira:deleted:issue  the simulator keeps its fake issue (so the event can be sent again); only the
 *                           app's data should change.
 *   avi:jira:updated:issue  the issue's key changes (NOTE-2 → NOTE-n, as a move does), `changelog` says so.
 * @param {Simulator} sim @param {Site} site @param {{ eventType: string, issueKey: string, accountId: string }} event
 * @returns {Promise<ForgeDelivery[]>}
 */
export async function sendProductEvent(sim, site, { eventType, issueKey, accountId }) {
  const issue = findIssue(site, issueKey);
  if (!issue) throw new ForgeError(`There is no issue ${issueKey} on ${site.name}.`, 404);
  const user = site.users.find((u) => u.accountId === accountId) ?? site.users[0];
  const base = siteBaseUrl(sim.config.hostUrl, site);
  /** @type {Record<string, any>} */
  const payload = { eventType, atlassianId: user.accountId, selfGenerated: false, issue: issueJson(site, base, issue, 'summary,project,issuetype,status'), user: userJson(base, user) };
  if (eventType === 'avi:jira:updated:issue') {
    const from = issue.key;
    const to = nextKey(site);
    issue.previousKeys = [...(issue.previousKeys ?? []), from];
    issue.key = to;
    sim.store.save();
    payload.issue = issueJson(site, base, issue, 'summary,project,issuetype,status');
    payload.changelog = { id: String(Date.now()), items: [{ field: 'Key', fieldtype: 'jira', fieldId: 'issuekey', from: null, fromString: from, to: null, toString: to }] };
    sim.log.add({ site: site.name, direction: 'product', kind: 'forge', note: `issue ${from} is now ${to}` });
  } else if (eventType !== 'avi:jira:deleted:issue') {
    throw new ForgeError(`The simulator sends avi:jira:deleted:issue and avi:jira:updated:issue, not ${eventType}.`);
  }
  const deliveries = [];
  for (const installation of installedForgeApps(site)) {
    for (const trigger of modulesOf(appOf(installation)).triggers.filter((t) => t.endpoint && t.events.includes(eventType))) {
      const delivery = newDelivery(installation, eventType, trigger.key, /** @type {string} */ (trigger.endpoint), { ...payload, context: { cloudId: site.cloudId, moduleKey: trigger.key } });
      await deliver(sim, site, installation, delivery);
      deliveries.push(delivery);
    }
  }
  if (!deliveries.length) throw new ForgeError(`No Forge app on ${site.name} has a trigger for ${eventType}.`);
  return deliveries;
}

/**
 * Fires the app's `scheduledTrigger` modules that call an endpoint, now (Forge fires them on their
 * `interval`; the simulator waits to be asked: dashboard, CLI, tests). Each goes to its endpoint as Forge
 * sends a backend invocation: POST, a FIT whose `app.module` is `{ type: 'core:endpoint', key: <endpoint> }`
 * and which has no `principal`, the system token if the endpoint asks for it, 5 s, up to 4 retries.
 * @param {Simulator} sim @param {Site} site @returns {Promise<ForgeDelivery[]>}
 */
export async function runScheduledTriggers(sim, site) {
  const deliveries = [];
  for (const installation of installedForgeApps(site)) {
    for (const trigger of modulesOf(appOf(installation)).scheduledTriggers.filter((t) => t.endpoint)) {
      const endpointKey = /** @type {string} */ (trigger.endpoint);
      const delivery = newDelivery(installation, `scheduledTrigger ${trigger.key}`, endpointKey, endpointKey, { context: { cloudId: site.cloudId, moduleKey: trigger.key } });
      await deliver(sim, site, installation, delivery);
      deliveries.push(delivery);
    }
  }
  if (!deliveries.length) throw new ForgeError(`No Forge app on ${site.name} has a scheduledTrigger with an endpoint.`);
  return deliveries;
}

/**
 * Sends a delivery again with the same payload (what Forge does on a retry), as a new round of attempts.
 * @param {Simulator} sim @param {Site} site @param {string} id
 */
export async function redeliverForgeEvent(sim, site, id) {
  const delivery = (site.forgeDeliveries ?? []).find((d) => d.id === id);
  if (!delivery) throw new ForgeError(`There is no Forge event delivery ${id} on ${site.name}.`, 404);
  const installation = requireForge(site, delivery.appId);
  await deliver(sim, site, installation, delivery);
  return delivery;
}

/** @param {Simulator} sim @param {Site} site @param {ForgeInstallation} installation @param {string} eventType @param {string} installerAccountId */
async function sendLifecycleEvent(sim, site, installation, eventType, installerAccountId) {
  for (const trigger of modulesOf(appOf(installation)).triggers.filter((t) => t.endpoint && t.events.includes(eventType))) {
    await deliver(sim, site, installation, newDelivery(installation, eventType, trigger.key, /** @type {string} */ (trigger.endpoint), lifecyclePayload(site, installation, eventType, installerAccountId)));
  }
}

/** @param {Site} site @param {ForgeInstallation} installation @param {string} eventType @param {string} installerAccountId */
function lifecyclePayload(site, installation, eventType, installerAccountId) {
  return {
    eventType,
    id: randomUUID(),
    installerAccountId,
    context: { cloudId: site.cloudId, environmentId: installation.environment.id, environmentType: installation.environment.type },
    app: { id: installation.appId, version: installation.appVersion, name: installation.appName },
    environment: { id: installation.environment.id },
  };
}

/** @param {ForgeInstallation} installation @param {string} eventType @param {string} moduleKey @param {string} endpointKey @param {Record<string, any>} body @returns {ForgeDelivery} */
function newDelivery(installation, eventType, moduleKey, endpointKey, body) {
  return { id: randomUUID(), appId: installation.appId, eventType, moduleKey, endpointKey, body, attempts: [], status: null };
}

/**
 * One delivery to the remote, retried like Forge: a fresh FIT per attempt (it lives 25 s), the same
 * payload, up to EVENT_MAX_RETRIES retries after no answer within 5 s, a 5xx or a 429. A 4xx is final.
 * The FIT is what Forge signs for a backend invocation: `app.module` is `core:endpoint` with the endpoint's
 * key (not the trigger's or preUninstall's), and there is no `principal` and no `context` ("When invoked from
 * a backend function, no context is currently provided"), so the site is only in `app.apiBaseUrl`.
 * https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-
 * @param {Simulator} sim @param {Site} site @param {ForgeInstallation} installation @param {ForgeDelivery} delivery
 */
async function deliver(sim, site, installation, delivery) {
  const app = appOf(installation);
  const endpoint = endpointOf(app, delivery.endpointKey);
  const url = remoteUrl(app, endpoint, endpoint.route?.path ?? '/');
  const list = (site.forgeDeliveries ??= []);
  if (!list.includes(delivery)) {
    list.unshift(delivery);
    list.length = Math.min(list.length, MAX_DELIVERIES);
  }
  for (let retry = 0; retry <= EVENT_MAX_RETRIES; retry++) {
    if (retry > 0) await new Promise((resolve) => setTimeout(resolve, sim.config.forgeRetryDelayMs * 2 ** (retry - 1)));
    const token = await signInvocationToken({
      key: sim.forgeKey, appId: installation.appId,
      app: appClaim(sim, site, installation, { type: 'core:endpoint', key: endpoint.key }),
    });
    // Events carry no user; a system token only if the endpoint asks for it.
    const headers = { 'content-type': 'application/json', accept: 'application/json', ...oauthHeaders(sim, site, installation, endpoint, undefined) };
    const answer = await call(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body: JSON.stringify(delivery.body) }, EVENT_TIMEOUT_MS);
    delivery.attempts.push({ status: answer.status, at: new Date().toISOString(), ...(answer.problem ? { problem: answer.problem } : {}) });
    delivery.status = answer.status;
    const again = answer.status === null || answer.status >= 500 || answer.status === 429;
    sim.log.add({
      site: site.name, direction: 'product→app', kind: 'forge', method: 'POST', url, status: answer.status,
      note: `${delivery.eventType} to ${delivery.moduleKey}, attempt ${delivery.attempts.length}${answer.problem ? ` — ${answer.problem}` : ''}${again && retry < EVENT_MAX_RETRIES ? ' (Forge retries)' : ''}`,
      token, details: { deliveryId: delivery.id, tokens: Object.keys(headers).filter((h) => h.startsWith('x-forge-oauth-')), body: delivery.body, answer: answer.text?.slice(0, 500) },
    });
    if (!again) break;
  }
  sim.store.save();
}

/**
 * The tokens an endpoint's `auth` asks for, minted now: the system token whenever enabled, the user token
 * only when a user invoked the app.
 * @param {Simulator} sim @param {Site} site @param {ForgeInstallation} installation
 * @param {import('./forge-manifest.mjs').Endpoint} endpoint @param {string | undefined} accountId
 */
function oauthHeaders(sim, site, installation, endpoint, accountId) {
  /** @type {Record<string, string>} */
  const headers = {};
  const grant = { site: site.name, cloudId: site.cloudId, appId: installation.appId, installationId: installation.installationId, scopes: installation.scopes };
  if (endpoint.auth?.appSystemToken?.enabled) headers['x-forge-oauth-system'] = sim.forgeTokens.issue({ ...grant, kind: 'system' });
  if (endpoint.auth?.appUserToken?.enabled && accountId) headers['x-forge-oauth-user'] = sim.forgeTokens.issue({ ...grant, kind: 'user', accountId });
  return headers;
}

/** The FIT's `app` claim. @param {Simulator} sim @param {Site} site @param {ForgeInstallation} installation @param {{ type: string, key: string }} module */
function appClaim(sim, site, installation, module) {
  return {
    installationId: installation.installationId,
    apiBaseUrl: `${sim.config.hostUrl}/forge-api/ex/jira/${site.cloudId}`,
    appVersion: installation.appVersion,
    environment: installation.environment,
    module,
    // Only when the dashboard set a license (real Forge: paid apps in production only).
    ...(forgeAppLicense(site) && { license: forgeAppLicense(site) }),
  };
}

/**
 * `context.extension` of a module, as Jira sends it (FIT and view.getContext() alike).
 * @param {Site} site @param {string} type @param {import('./seed.mjs').SimIssue | undefined} issue
 */
export function extensionOf(site, type, issue) {
  if (type === 'jira:issuePanel' && issue) {
    return { type, issue: { key: issue.key, id: issue.id, type: ISSUE_TYPE.name, typeId: ISSUE_TYPE.id }, project: { key: site.project.key, id: site.project.id, type: 'software' }, isNewToIssue: false };
  }
  return { type };
}

/**
 * What `view.getContext()` answers in a module's iframe.
 * @param {Simulator} sim @param {Site} site @param {ForgeInstallation} installation
 * @param {{ key: string, type: string }} module @param {import('./seed.mjs').SimIssue | undefined} issue @param {import('./seed.mjs').SimUser} user
 */
export function viewContext(sim, site, installation, module, issue, user) {
  return {
    accountId: user.accountId,
    cloudId: site.cloudId,
    siteUrl: siteBaseUrl(sim.config.hostUrl, site),
    environmentId: installation.environment.id,
    environmentType: installation.environment.type,
    localId: `${installation.appId}/${installation.environment.id}/static/${module.key}`,
    locale: user.locale.replace('_', '-'),
    timezone: user.timeZone,
    moduleKey: module.key,
    extension: extensionOf(site, module.type, issue),
    theme: null,
  };
}

/** @param {Site} site @param {string | undefined} key */
export function findIssue(site, key) {
  if (!key) return undefined;
  const wanted = key.toUpperCase();
  return site.issues.find((i) => i.key.toUpperCase() === wanted || (i.previousKeys ?? []).includes(wanted));
}

/** @param {Site} site */
function nextKey(site) {
  const numbers = site.issues.flatMap((i) => [i.key, ...(i.previousKeys ?? [])]).map((k) => Number(k.split('-')[1]) || 0);
  return `${site.project.key}-${Math.max(...numbers) + 1}`;
}

/** @param {Site} site @param {string} [appId] */
function requireForge(site, appId) {
  const installations = installedForgeApps(site).filter((i) => !appId || i.appId === appId);
  if (installations.length !== 1) throw new ForgeError(`No${appId ? ` Forge app ${appId}` : ' single Forge app'} is installed on ${site.name}.`, 404);
  return installations[0];
}

/** @param {ForgeApp} app @param {string} installationId @param {string | null} connectAppKey @returns {ForgeInstallation} */
function record(app, installationId, connectAppKey) {
  const now = new Date().toISOString();
  const title = app.manifest.modules?.['jira:issuePanel']?.[0]?.title;
  return {
    appId: app.appId,
    appName: typeof title === 'string' ? title : app.appId,
    installationId,
    environment: { type: 'DEVELOPMENT', id: randomUUID() },
    appVersion: '1.0.0',
    manifestPath: app.manifestPath,
    manifest: app.manifest,
    scopes: app.scopes,
    state: 'installed',
    connectAppKey,
    installedAt: now,
    updatedAt: now,
    lastError: null,
  };
}

/**
 * @param {string} url @param {{ method: string, headers: Record<string, string>, body?: string }} init @param {number} timeoutMs
 * @returns {Promise<{ status: number | null, headers: Record<string, string>, text?: string, problem?: string }>}
 */
async function call(url, init, timeoutMs) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const text = await response.text();
    return { status: response.status, headers: Object.fromEntries(response.headers), text };
  } catch (err) {
    return { status: null, headers: {}, problem: noAnswerReason(err, timeoutMs) };
  }
}

/** @param {string | undefined} text */
function parseBody(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Where Custom UI resources are served from: the simulator on its other loopback name (127.0.0.1 for
 * localhost and back), so the iframe is cross-origin to the product page as Forge's CDN is, and the bridge
 * has to go through postMessage.
 * @param {string} hostUrl
 */
export function resourceOrigin(hostUrl) {
  const url = new URL(hostUrl);
  url.hostname = url.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return url.origin;
}

/**
 * The iframe of a Custom UI module.
 * @param {Simulator} sim @param {Site} site @param {ForgeInstallation} installation
 * @param {{ key: string, title?: string, resource: string }} module @param {string} type
 * @param {import('./seed.mjs').SimIssue | undefined} issue @param {import('./seed.mjs').SimUser} user
 */
export function forgeFrame(sim, site, installation, module, type, issue, user) {
  const origin = resourceOrigin(sim.config.hostUrl);
  const src = `${origin}/forge/cdn/${installation.installationId.split('/').pop()}/${module.resource}/index.html`;
  return { src, origin, appId: installation.appId, moduleKey: module.key, type, title: typeof module.title === 'string' ? module.title : module.key, issueKey: issue?.key, context: viewContext(sim, site, installation, { key: module.key, type }, issue, user) };
}

/**
 * Development convenience (HOST_FORGE_AUTO_INSTALL): puts the Forge app on `siteName` unless it is there:
 * an upgrade when the Connect app is installed there (both doors on one site, sharing its notes), else a
 * fresh Forge install.
 * @param {Simulator} sim @param {string} siteName @returns {Promise<string>}
 */
export async function autoInstallForge(sim, siteName) {
  const site = sim.store.getSite(siteName) ?? sim.store.createSite(siteName);
  const app = forgeApp(sim);
  if (forgeInstallations(site)[app.appId]?.state === 'installed') return `the Forge app is already installed on ${siteName}`;
  const connect = Object.values(site.installations).filter((i) => i.state !== 'uninstalled');
  if (connect.length === 1) {
    await upgradeConnectToForge(sim, site, connect[0].appKey);
    return `${connect[0].appKey} on ${siteName} is upgraded to Forge: Connect and Forge panels side by side`;
  }
  await installForgeApp(sim, site);
  return `the Forge app is installed on ${siteName}`;
}
