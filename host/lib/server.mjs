/**
 * The simulator's HTTP server: one router for the dashboard and log, the install-key server, the OAuth
 * server, and each site's pages, host bridge, admin actions, UPM and REST API.
 *
 *   /                                         dashboard                /log, /log.json, /log/stream (SSE)
 *   /install-keys/<kid>                       public key (PEM)         /oauth2/token      user impersonation
 *   /sites.json                               sites, no secrets        POST /sites        create a site
 *   /sites/<site>/browse/<ISSUE-KEY>          issue view with app panels
 *   /sites/<site>/plugins/servlet/ac/<app>/<module>   general page
 *   /sites/<site>/atlassian-connect/all.js    the Connect JS API for app iframes
 *   /sites/<site>/_host/…                     what host.js calls: context tokens, AP.request, user switch
 *   /sites/<site>/_admin/…                    install, uninstall, enable, disable, webhooks (dashboard, CLI),
 *                                             license (license.mjs), rate-limit (rate-limit.mjs)
 *   /sites/<site>/rest/plugins/1.0/…          UPM (development installs)
 *   /sites/<site>/rest/…                      product REST API (JWT or Bearer)
 *
 * Forge (forge.mjs):
 *   /forge/jwks.json                          the key set that signs Forge Invocation Tokens (FORGE_JWKS_URL)
 *   /forge/cdn/<installation>/<resource>/…    Custom UI resources (served from the other loopback name, so
 *                                             the iframe is cross-origin as on Forge's CDN), bridge injected
 *   /sites/<site>/jira/apps/<app>/<module>    a jira:globalPage
 *   /sites/<site>/_forge/…                    what host.js calls for the bridge: invoke, unsupported calls
 *   /sites/<site>/_admin/forge-…              install, upgrade, uninstall, product events, redelivery
 *   /forge-api/ex/jira/<cloudId>/rest/…       product REST API for remotes (the tokens it minted only)
 *   /sites/<site>/_admin/forge-scheduled      fire the app's scheduled triggers now
 *
 * Personal data reporting (privacy.mjs):
 *   /sites/<site>/rest/atlassian-connect/latest/report-accounts   Connect (app JWT)
 *   /forge-api/app/report-accounts/           Forge (system token)
 *   /_admin/accounts                          close, mark updated or reopen an account; rate-limit reports
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { HostConfigError } from './config.mjs';
import { handleForgeRest } from './forge-api.mjs';
import { customUiCsp } from './custom-ui-csp.mjs';
import { ForgeManifestError, modulesOf, resourceOf } from './forge-manifest.mjs';
import { appOf, findIssue, ForgeError, forgeInstallations, installForgeApp, invokeRemote, redeliverForgeEvent, resourceOrigin, runScheduledTriggers, sendProductEvent, uninstallForgeApp, upgradeConnectToForge } from './forge.mjs';
import { changeAccount, handleConnectReport, handleForgeReport, PrivacyError, rateLimitReports } from './privacy.mjs';
import { generalPages, issuePanels } from './descriptor.mjs';
import { HttpError, isSameOrigin, readFields, redirect, Router, send, sendHtml, sendJson, wantsJson } from './http.mjs';
import { moduleContext } from './iframe.mjs';
import { setLicense } from './license.mjs';
import { setRateLimit } from './rate-limit.mjs';
import { installApp, LifecycleError, setEnabled, uninstallApp } from './lifecycle.mjs';
import { tokenRequest } from './oauth.mjs';
import { handleRest, requestAsUser } from './rest.mjs';
import { siteBaseUrl, StoreError } from './store.mjs';
import { forgeJwks, signContextToken } from './tokens.mjs';
import { redeliver, sendWebhook, WebhookError } from './webhooks.mjs';
import { dashboardPage } from '../pages/dashboard.mjs';
import { issuePage } from '../pages/issue.mjs';
import { logPage } from '../pages/log-page.mjs';
import { forgeGlobalPage, generalPage, siteHomePage } from '../pages/site.mjs';

const PUBLIC_DIR = path.join(import.meta.dirname, '..', 'public');
const STATIC_FILES = /** @type {Record<string, string>} */ ({
  'host.js': 'text/javascript; charset=utf-8',
  'log.js': 'text/javascript; charset=utf-8',
  'host.css': 'text/css; charset=utf-8',
  'avatar.svg': 'image/svg+xml',
});

/** Content types of Custom UI resource files. */
const RESOURCE_TYPES = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.map': 'application/json', '.woff2': 'font/woff2',
});

/** @typedef {import('./simulator.mjs').Simulator} Simulator */
/** @typedef {import('./http.mjs').RouteContext} RouteContext */

/**
 * @param {Simulator} sim
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function createHandler(sim) {
  const router = routes(sim);
  const hosts = knownHosts(sim.config);
  const resourceHost = new URL(resourceOrigin(sim.config.hostUrl)).host;
  return async (req, res) => {
    const url = new URL(req.url ?? '/', sim.config.hostUrl);
    try {
      // DNS rebinding: a page on another name that resolves to 127.0.0.1 would otherwise be "same origin".
      if (!hosts.has(String(req.headers.host).toLowerCase())) throw new HttpError(421, `This is the Connect host simulator at ${sim.config.hostUrl}; the Host header ${req.headers.host} is not one of its names.`);
      // Custom UI runs on its own origin, as on Forge's CDN: app code there must not reach the product's
      // routes as same-origin (minting invocations, admin actions), nor resources load as the product.
      const onResourceHost = String(req.headers.host).toLowerCase() === resourceHost;
      const resourcePath = url.pathname.startsWith('/forge/cdn/') || url.pathname === '/forge/bridge.js';
      if (onResourceHost !== resourcePath) {
        throw new HttpError(404, onResourceHost ? `${resourceHost} serves only Forge Custom UI resources; the simulator is at ${sim.config.hostUrl}.` : `Custom UI resources are served from ${resourceOrigin(sim.config.hostUrl)}.`);
      }
      const found = router.match(req.method ?? 'GET', url.pathname);
      if (found === null) throw new HttpError(404, `Nothing at ${url.pathname} on the Connect host simulator.`);
      if (found === 'method-not-allowed') throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}.`);
      await found.handler({ req, res, url, params: found.params });
    } catch (err) {
      const { status, message } = describeError(err);
      if (status === 500) console.error('[host] internal error', err);
      if (res.headersSent) return void res.end();
      if (wantsJson(req) || url.pathname.includes('/rest/') || url.pathname.includes('/_host/') || url.pathname.includes('/_forge/')) sendJson(res, status, { ok: false, error: message });
      else send(res, status, `${message}\n`, { 'content-type': 'text/plain; charset=utf-8' });
    }
  };
}

/** The Host headers the simulator answers to: its URL's, and the other loopback names on its port. @param {import('./config.mjs').HostConfig} config */
function knownHosts(config) {
  return new Set([new URL(config.hostUrl).host, `localhost:${config.port}`, `127.0.0.1:${config.port}`, `[::1]:${config.port}`]);
}

/**
 * Listens on every address of `config.bind` (loopback only).
 * @param {Simulator} sim
 * @returns {Promise<{ close: () => Promise<void> }>}
 */
export async function startServer(sim) {
  const handler = createHandler(sim);
  const servers = [];
  for (const address of sim.config.bind) {
    const server = createServer(handler);
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(sim.config.port, address, () => resolve(undefined));
      });
      servers.push(server);
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      // A machine without IPv6 loopback still serves localhost on 127.0.0.1.
      if (address === '::1' && servers.length && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
      for (const s of servers) s.close();
      if (code === 'EADDRINUSE') throw new HostConfigError('HOST_PORT', `${sim.config.port} is in use on ${address}: is the simulator already running? Set HOST_PORT to use another port.`);
      throw err;
    }
  }
  return {
    close: () => Promise.all(servers.map((s) => new Promise((resolve) => {
      s.close(() => resolve(undefined));
      s.closeAllConnections(); // the log pages' event streams would otherwise hold the server open
    }))).then(() => undefined),
  };
}

/** @param {Simulator} sim */
function routes(sim) {
  const site = siteParam(sim);
  return new Router()
    .on('GET', /^\/$/, ({ res, url }) => sendHtml(res, 200, dashboardPage(sim, url)))
    .on('GET', /^\/log$/, ({ res, url }) => sendHtml(res, 200, logPage(sim, url)))
    .on('GET', /^\/log\.json$/, ({ res, url }) => sendJson(res, 200, { entries: sim.log.list({ site: url.searchParams.get('site') ?? undefined, after: Number(url.searchParams.get('after') ?? 0) }) }))
    .on('GET', /^\/log\/stream$/, (ctx) => logStream(sim, ctx))
    .on('GET', /^\/static\/(?<file>[\w.-]+)$/, ({ res, params }) => staticFile(res, params.file))
    .on('GET', /^\/install-keys\/(?<kid>[^/]+)$/, (ctx) => installKey(sim, ctx))
    .on('POST', /^\/oauth2\/token$/, (ctx) => oauthToken(sim, ctx))
    .on('GET', /^\/sites\.json$/, ({ res }) => sendJson(res, 200, { sites: sim.store.listSites().map((s) => siteSummary(sim, s)) }))
    .on('POST', /^\/sites$/, guarded(sim, async (ctx) => {
      const { name } = await readFields(ctx.req);
      const created = sim.store.createSite(String(name ?? '').trim());
      sim.log.add({ site: created.name, direction: 'product', kind: 'site', note: `site created at ${siteBaseUrl(sim.config.hostUrl, created)}` });
      respond(ctx, 201, `Site ${created.name} created.`, { site: siteSummary(sim, created) }, '/');
    }))
    .on('GET', /^\/sites\/(?<site>[^/]+)\/?$/, (ctx) => {
      const s = site(ctx);
      sendHtml(ctx.res, 200, siteHomePage(sim, s, sim.currentUser(s, ctx.req.headers.cookie), ctx.url));
    })
    .on('GET', /^\/sites\/(?<site>[^/]+)\/browse\/(?<key>[^/]+)$/, (ctx) => {
      const s = site(ctx);
      // Keys an issue had before a key change still resolve, as on Jira.
      const issue = findIssue(s, decodeURIComponent(ctx.params.key));
      if (!issue) throw new HttpError(404, `There is no issue ${ctx.params.key} on ${s.name}.`);
      if (issue.key !== decodeURIComponent(ctx.params.key).toUpperCase()) return redirect(ctx.res, `/sites/${s.name}/browse/${issue.key}`);
      sendHtml(ctx.res, 200, issuePage(sim, s, issue, sim.currentUser(s, ctx.req.headers.cookie), ctx.url));
    })
    .on('GET', /^\/sites\/(?<site>[^/]+)\/plugins\/servlet\/ac\/(?<appKey>[^/]+)\/(?<moduleKey>[^/]+)$/, (ctx) => {
      const s = site(ctx);
      const installation = s.installations[ctx.params.appKey];
      const module = installation?.state === 'enabled' ? generalPages(installation.descriptor).find((m) => m.key === ctx.params.moduleKey) : undefined;
      if (!installation || !module) throw new HttpError(404, `No enabled app ${ctx.params.appKey} with a general page ${ctx.params.moduleKey} on ${s.name}.`);
      sendHtml(ctx.res, 200, generalPage(sim, s, installation, module, sim.currentUser(s, ctx.req.headers.cookie), ctx.url));
    })
    .on('GET', /^\/sites\/(?<site>[^/]+)\/atlassian-connect\/all(?:-debug)?\.js$/, (ctx) => {
      site(ctx);
      send(ctx.res, 200, readFileSync(path.join(PUBLIC_DIR, 'all.js')), { 'content-type': 'text/javascript; charset=utf-8', 'access-control-allow-origin': '*', 'cache-control': 'no-cache' });
    })
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_host\/(?<action>context-token|request|user)$/, guarded(sim, (ctx) => hostBridge(sim, site(ctx), ctx)))
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_admin\/(?<action>install|uninstall|enable|disable|webhooks)$/, guarded(sim, (ctx) => admin(sim, site(ctx), ctx)))
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_admin\/(?<action>license|rate-limit)$/, guarded(sim, (ctx) => marketplaceAdmin(sim, site(ctx), ctx)))
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_admin\/webhooks\/(?<id>[\w-]+)\/redeliver$/, guarded(sim, async (ctx) => {
      const s = site(ctx);
      const { back } = await readFields(ctx.req);
      const delivery = await redeliver(sim, s, ctx.params.id);
      respond(ctx, 200, `Redelivered ${delivery.event} (retry ${delivery.retry}): the app answered ${delivery.status ?? 'nothing'}.`, { delivery: deliverySummary(delivery) }, back);
    }))
    .on('*', /^\/sites\/(?<site>[^/]+)(?<path>\/rest\/plugins\/1\.0(?:\/.*)?)$/, (ctx) => {
      const s = site(ctx);
      const below = ctx.params.path.slice('/rest/plugins/1.0'.length) || '/';
      return sim.upm.handle(sim, s, ctx, below, `/sites/${s.name}`);
    })
    .on('POST', /^\/sites\/(?<site>[^/]+)\/rest\/atlassian-connect\/latest\/report-accounts$/, (ctx) => handleConnectReport(sim, site(ctx), ctx))
    .on('*', /^\/sites\/(?<site>[^/]+)(?<path>\/rest\/.*)$/, (ctx) => handleRest(sim, site(ctx), ctx, ctx.params.path))
    .on('POST', /^\/forge-api\/app\/report-accounts\/?$/, (ctx) => handleForgeReport(sim, ctx))
    .on('POST', /^\/_admin\/accounts$/, guarded(sim, async (ctx) => {
      const fields = await readFields(ctx.req);
      const back = fields.back ?? '/';
      if (fields.action === 'rate-limit') {
        rateLimitReports(sim, Number(fields.count ?? 1), Number(fields.retryAfter ?? 60));
        return respond(ctx, 200, `The next ${Number(fields.count ?? 1)} report(s) will be answered 429.`, {}, back);
      }
      const action = fields.action === 'close' || fields.action === 'update' || fields.action === 'reopen' ? fields.action : undefined;
      if (!action) throw new HttpError(400, 'action must be close, update, reopen or rate-limit.');
      try {
        changeAccount(sim, String(fields.accountId ?? ''), action);
      } catch (err) {
        if (err instanceof PrivacyError) throw new HttpError(400, err.message);
        throw err;
      }
      respond(ctx, 200, `Account ${String(fields.accountId)} ${action === 'close' ? 'closed' : action === 'update' ? 'marked updated' : 'reopened'}.`, {}, back);
    }))
    // Forge
    .on('GET', /^\/forge\/jwks\.json$/, ({ res, url }) => {
      sim.log.add({ direction: 'app→product', kind: 'forge', method: 'GET', url: url.toString(), status: 200, note: 'Forge JWKS fetched' });
      sendJson(res, 200, forgeJwks(sim.forgeKey), { 'cache-control': 'public, max-age=300' });
    })
    .on('GET', /^\/forge\/bridge\.js$/, ({ res }) => send(res, 200, readFileSync(path.join(PUBLIC_DIR, 'forge-bridge.js')), { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }))
    .on('GET', /^\/forge\/cdn\/(?<id>[0-9a-f-]{36})\/(?<resource>[\w-]{1,23})\/(?<file>.*)$/, (ctx) => forgeResource(sim, ctx))
    .on('GET', /^\/sites\/(?<site>[^/]+)\/jira\/apps\/(?<app>[0-9a-f-]{36})\/(?<moduleKey>[\w-]+)$/, (ctx) => {
      const s = site(ctx);
      const installation = forgeInstallations(s)[`ari:cloud:ecosystem::app/${ctx.params.app}`];
      const module = installation?.state === 'installed' ? modulesOf(appOf(installation)).globalPages.find((m) => m.key === ctx.params.moduleKey) : undefined;
      if (!installation || !module) throw new HttpError(404, `No installed Forge app ${ctx.params.app} with a global page ${ctx.params.moduleKey} on ${s.name}.`);
      sendHtml(ctx.res, 200, forgeGlobalPage(sim, s, installation, module, sim.currentUser(s, ctx.req.headers.cookie), ctx.url));
    })
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_forge\/invoke$/, guarded(sim, async (ctx) => {
      const s = site(ctx);
      const fields = await readFields(ctx.req);
      const user = sim.currentUser(s, ctx.req.headers.cookie);
      const result = await invokeRemote(sim, s, { appId: String(fields.appId ?? ''), moduleKey: String(fields.moduleKey ?? ''), issueKey: fields.issueKey ? String(fields.issueKey) : undefined, accountId: user.accountId, request: fields.request ?? {} });
      sendJson(ctx.res, 200, result);
    }))
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_forge\/unsupported$/, guarded(sim, async (ctx) => {
      const s = site(ctx);
      const fields = await readFields(ctx.req);
      sim.log.add({ site: s.name, direction: 'browser→product', kind: 'forge', note: `bridge call "${String(fields.name ?? '').slice(0, 80)}" from ${String(fields.moduleKey ?? '').slice(0, 80)} is not supported by the simulator (rejected in the iframe)` });
      sendJson(ctx.res, 200, { ok: true });
    }))
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_admin\/(?<action>forge-install|forge-upgrade|forge-uninstall|forge-event|forge-scheduled)$/, guarded(sim, (ctx) => forgeAdmin(sim, site(ctx), ctx)))
    .on('POST', /^\/sites\/(?<site>[^/]+)\/_admin\/forge-events\/(?<id>[\w-]+)\/redeliver$/, guarded(sim, async (ctx) => {
      const s = site(ctx);
      const { back } = await readFields(ctx.req);
      const delivery = await redeliverForgeEvent(sim, s, ctx.params.id);
      respond(ctx, 200, `Sent ${delivery.eventType} again: the app answered ${delivery.status ?? 'nothing'}.`, { delivery: forgeDeliverySummary(delivery) }, back);
    }))
    .on('*', /^\/forge-api\/ex\/jira\/(?<cloudId>[0-9a-f-]{36})(?<path>\/rest\/.*)$/, (ctx) => handleForgeRest(sim, ctx, ctx.params.cloudId, ctx.params.path));
}

/**
 * @param {Simulator} sim @param {import('./store.mjs').Site} site @param {RouteContext} ctx
 */
async function forgeAdmin(sim, site, ctx) {
  const fields = await readFields(ctx.req);
  const back = fields.back ?? '/';
  const user = sim.currentUser(site, ctx.req.headers.cookie);
  switch (ctx.params.action) {
    case 'forge-install': {
      const installation = await installForgeApp(sim, site, { installerAccountId: user.accountId });
      return respond(ctx, 200, `Installed the Forge app on ${site.name}.`, { installation: forgeInstallationSummary(installation), deliveries: deliveriesOf(site, installation) }, back);
    }
    case 'forge-upgrade': {
      const installation = await upgradeConnectToForge(sim, site, fields.appKey ? String(fields.appKey) : undefined);
      return respond(ctx, 200, `Upgraded ${installation.connectAppKey} on ${site.name} to Forge.`, { installation: forgeInstallationSummary(installation), deliveries: deliveriesOf(site, installation) }, back);
    }
    case 'forge-uninstall': {
      const installation = await uninstallForgeApp(sim, site, fields.appId ? String(fields.appId) : undefined);
      return respond(ctx, 200, `Uninstalled the Forge app from ${site.name}.`, { installation: forgeInstallationSummary(installation), deliveries: deliveriesOf(site, installation) }, back);
    }
    case 'forge-scheduled': {
      const deliveries = await runScheduledTriggers(sim, site);
      return respond(ctx, 200, deliveries.map((d) => `Ran ${d.eventType}: ${d.status ?? 'no answer'} after ${d.attempts.length} attempt(s).`).join(' '), { deliveries: deliveries.map(forgeDeliverySummary) }, back);
    }
    case 'forge-event': {
      const deliveries = await sendProductEvent(sim, site, { eventType: String(fields.event ?? ''), issueKey: String(fields.issue ?? ''), accountId: user.accountId });
      return respond(ctx, 200, deliveries.map((d) => `Sent ${d.eventType} to ${d.moduleKey}: ${d.status ?? 'no answer'} after ${d.attempts.length} attempt(s).`).join(' '), { deliveries: deliveries.map(forgeDeliverySummary) }, back);
    }
  }
}

/** @param {import('./store.mjs').Site} site @param {import('./forge.mjs').ForgeInstallation} installation */
function deliveriesOf(site, installation) {
  return (site.forgeDeliveries ?? []).filter((d) => d.appId === installation.appId).slice(0, 5).map(forgeDeliverySummary);
}

/** No secrets. @param {import('./forge.mjs').ForgeInstallation} i */
export function forgeInstallationSummary(i) {
  return { appId: i.appId, installationId: i.installationId, environment: i.environment, appVersion: i.appVersion, state: i.state, connectAppKey: i.connectAppKey, updatedAt: i.updatedAt };
}

/** @param {import('./forge.mjs').ForgeDelivery} d */
function forgeDeliverySummary(d) {
  return { id: d.id, appId: d.appId, eventType: d.eventType, moduleKey: d.moduleKey, endpointKey: d.endpointKey, status: d.status, attempts: d.attempts };
}

/**
 * A Custom UI resource file of an installed app, read from the manifest's resource folder. index.html gets
 * the simulator's bridge first, as Forge's hosting gives Custom UI its `window.__bridge`.
 * @param {Simulator} sim @param {RouteContext} ctx
 */
function forgeResource(sim, { res, params }) {
  const installationId = `ari:cloud:ecosystem::installation/${params.id}`;
  const installation = sim.store.listSites().flatMap((s) => Object.values(forgeInstallations(s))).find((i) => i.installationId === installationId && i.state === 'installed');
  if (!installation) throw new HttpError(404, 'No installed Forge app has these resources.');
  const resource = resourceOf(appOf(installation), params.resource);
  const dir = path.resolve(path.dirname(installation.manifestPath), resource.path);
  let relative;
  try {
    relative = decodeURIComponent(params.file || 'index.html');
  } catch {
    throw new HttpError(400, 'Bad resource path.');
  }
  const file = path.resolve(dir, relative);
  // Only files inside the resource folder: `..` and absolute paths stay out.
  if (!file.startsWith(dir + path.sep)) throw new HttpError(404, 'No such resource file.');
  const type = RESOURCE_TYPES[path.extname(file).toLowerCase()];
  let content;
  try {
    content = readFileSync(file);
  } catch {
    throw new HttpError(404, `No such resource file (${relative}). Run npm run ui:build?`);
  }
  if (!type) throw new HttpError(404, 'Unsupported resource file type.');
  const product = new URL(sim.config.hostUrl).origin;
  // An HTML document gets Forge's whole policy, computed from the file as uploaded (its inline scripts are
  // hashed) and the manifest's permissions; the files it loads are not documents, only framing matters for them.
  const csp = type.startsWith('text/html')
    ? customUiCsp({ html: content.toString('utf8'), permissions: appOf(installation).manifest.permissions, site: product })
    : `frame-ancestors ${product}`;
  const headers = { 'content-type': type, 'cache-control': 'no-cache', 'content-security-policy': csp, 'access-control-allow-origin': '*' };
  if (path.basename(file) === 'index.html' && file === path.join(dir, 'index.html')) {
    const bridge = `<script src="/forge/bridge.js?product=${encodeURIComponent(product)}"></script>`;
    const html = content.toString('utf8');
    const injected = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}\n${bridge}`) : `${bridge}\n${html}`;
    return send(res, 200, injected, headers);
  }
  send(res, 200, content, headers);
}

/** @param {Simulator} sim */
function siteParam(sim) {
  return (/** @type {RouteContext} */ { params }) => {
    const s = sim.store.getSite(params.site);
    if (!s) throw new HttpError(404, `There is no site "${params.site}" on this simulator.`);
    return s;
  };
}

/**
 * State-changing routes refuse requests another web page's scripts or forms could make.
 * @param {Simulator} sim @param {(ctx: RouteContext) => Promise<void> | void} handler
 */
function guarded(sim, handler) {
  return (/** @type {RouteContext} */ ctx) => {
    if (!isSameOrigin(ctx.req, sim.config.hostUrl)) throw new HttpError(403, 'Cross-site request refused: use the simulator\'s own pages or its CLI.');
    return handler(ctx);
  };
}

/**
 * Answers a dashboard or CLI action: JSON for tools, a redirect back with a notice for forms.
 * @param {RouteContext} ctx @param {number} status @param {string} message @param {Record<string, unknown>} data @param {unknown} back
 */
function respond({ req, res }, status, message, data, back) {
  if (wantsJson(req)) return sendJson(res, status, { ok: status < 400, message, ...data });
  // Only a path on this origin: `//host` and `/\host` would send the browser elsewhere.
  const target = typeof back === 'string' && /^\/(?![/\\])/.test(back) ? back : '/';
  redirect(res, `${target}?${new URLSearchParams(status < 400 ? { notice: message } : { error: message })}`);
}

/** @param {unknown} err @returns {{ status: number, message: string }} */
function describeError(err) {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (err instanceof StoreError) return { status: err.code === 'SITE_EXISTS' ? 409 : 400, message: err.message };
  if (err instanceof LifecycleError || err instanceof WebhookError || err instanceof ForgeManifestError) return { status: 400, message: err.message };
  if (err instanceof ForgeError) return { status: err.status, message: err.message };
  return { status: 500, message: 'Internal error in the simulator (see its console).' };
}

/**
 * The site's license (license.mjs) and a rate limit on its next product calls (rate-limit.mjs).
 * @param {Simulator} sim @param {import('./store.mjs').Site} site @param {RouteContext} ctx
 */
async function marketplaceAdmin(sim, site, ctx) {
  const fields = await readFields(ctx.req);
  const back = fields.back ?? '/';
  try {
    if (ctx.params.action === 'license') {
      setLicense(site, String(fields.license ?? ''));
      sim.store.save();
      sim.log.add({ site: site.name, direction: 'product', kind: 'license', note: `license set to ${site.license ?? 'unset'}` });
      return respond(ctx, 200, `The app's license on ${site.name} is ${site.license ?? 'unset (free / development)'}.`, { license: site.license ?? null }, back);
    }
    const calls = Number(fields.calls ?? 0);
    setRateLimit(site, { calls, retryAfterSeconds: Number(fields.retryAfter ?? 1), status: Number(fields.status ?? 429) });
    sim.store.save();
    sim.log.add({ site: site.name, direction: 'product', kind: 'rest', note: calls ? `the next ${calls} product calls answer ${site.rateLimit?.status} (Retry-After ${site.rateLimit?.retryAfterSeconds} s)` : 'rate limit lifted' });
    return respond(ctx, 200, calls ? `The next ${calls} product calls on ${site.name} are rate-limited.` : `Rate limit lifted on ${site.name}.`, { rateLimit: site.rateLimit ?? null }, back);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return respond(ctx, 400, err.message, {}, back);
  }
}

/**
 * @param {Simulator} sim @param {import('./store.mjs').Site} site @param {RouteContext} ctx
 */
async function admin(sim, site, ctx) {
  const fields = await readFields(ctx.req);
  const appKey = String(fields.appKey ?? '');
  const back = fields.back ?? '/';
  const fail = async (/** @type {() => Promise<void>} */ run) => {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof LifecycleError || err instanceof WebhookError)) throw err;
      respond(ctx, 400, err.message, {}, back);
    }
  };
  switch (ctx.params.action) {
    case 'install':
      return fail(async () => {
        const installation = await installApp(sim, site, fields.descriptorUrl ? String(fields.descriptorUrl) : undefined);
        const warning = installation.lastError ? ` Warning: ${installation.lastError}` : '';
        respond(ctx, 200, `Installed ${installation.appKey} on ${site.name}: ${installation.state}.${warning}`, { installation: installationSummary(installation) }, back);
      });
    case 'uninstall':
      return fail(async () => {
        const installation = await uninstallApp(sim, site, appKey);
        respond(ctx, 200, `Uninstalled ${appKey} from ${site.name}.`, { installation: installationSummary(installation) }, back);
      });
    case 'enable':
    case 'disable':
      return fail(async () => {
        const installation = await setEnabled(sim, site, appKey, ctx.params.action === 'enable' ? 'enabled' : 'disabled');
        const warning = installation.lastError ? ` Warning: ${installation.lastError}` : '';
        respond(ctx, 200, `${appKey} is ${installation.state} on ${site.name}.${warning}`, { installation: installationSummary(installation) }, back);
      });
    case 'webhooks':
      return fail(async () => {
        const deliveries = await sendWebhook(sim, site, { event: String(fields.event ?? ''), issueKey: String(fields.issue ?? ''), appKey: appKey || undefined, accountId: sim.currentUser(site, ctx.req.headers.cookie).accountId });
        respond(ctx, 200, deliveries.map((d) => `Sent ${d.event} to ${d.appKey}: ${d.status ?? 'no answer'}.`).join(' '), { deliveries: deliveries.map(deliverySummary) }, back);
      });
  }
}

/**
 * What host.js asks of the product on behalf of an app iframe.
 * @param {Simulator} sim @param {import('./store.mjs').Site} site @param {RouteContext} ctx
 */
async function hostBridge(sim, site, ctx) {
  const fields = await readFields(ctx.req);
  const user = sim.currentUser(site, ctx.req.headers.cookie);
  if (ctx.params.action === 'user') {
    const chosen = site.users.find((u) => u.accountId === fields.accountId);
    if (!chosen) throw new HttpError(400, 'No such user on this site.');
    ctx.res.setHeader('set-cookie', `apsim_user=${encodeURIComponent(chosen.accountId)}; Path=/; HttpOnly; SameSite=Lax`);
    return respond(ctx, 200, `Signed in as ${chosen.displayName}.`, {}, fields.back);
  }
  const installation = site.installations[String(fields.appKey ?? '')];
  if (installation?.state !== 'enabled') throw new HttpError(404, `The app ${fields.appKey} is not enabled on ${site.name}.`);
  const base = siteBaseUrl(sim.config.hostUrl, site);

  if (ctx.params.action === 'context-token') {
    const modules = [...issuePanels(installation.descriptor), ...generalPages(installation.descriptor)];
    const module = modules.find((m) => m.key === fields.moduleKey);
    if (!module) throw new HttpError(404, `The app ${installation.appKey} has no module ${fields.moduleKey} here.`);
    const issue = fields.issueKey ? site.issues.find((i) => i.key === fields.issueKey) : undefined;
    const context = moduleContext(site, issue, base);
    const token = signContextToken({ clientKey: installation.clientKey, sharedSecret: installation.sharedSecret, accountId: user.accountId, context });
    sim.log.add({ site: site.name, direction: 'browser→product', kind: 'token', method: 'POST', url: ctx.url.toString(), status: 200, note: `AP.context.getToken(): context token for ${user.displayName} in ${installation.appKey}/${module.key}`, token });
    return sendJson(ctx.res, 200, { token });
  }

  // AP.request
  const type = String(fields.type ?? 'GET');
  const result = requestAsUser(sim, site, installation, user.accountId, { url: String(fields.url ?? ''), type });
  return sendJson(ctx.res, 200, {
    status: result.status,
    statusText: result.status < 300 ? 'OK' : result.status === 404 ? 'Not Found' : result.status === 403 ? 'Forbidden' : result.status === 401 ? 'Unauthorized' : 'Error',
    body: JSON.stringify(result.body),
    headers: { 'content-type': 'application/json;charset=UTF-8' },
  });
}

/** @param {Simulator} sim @param {RouteContext} ctx */
function installKey(sim, { res, url, params }) {
  const known = params.kid === sim.key.kid;
  sim.log.add({ direction: 'app→product', kind: 'install-key', method: 'GET', url: url.toString(), status: known ? 200 : 404, note: known ? 'install public key fetched' : 'unknown kid' });
  if (!known) return send(res, 404, 'Not found\n', { 'content-type': 'text/plain' });
  // The key never changes for a kid, so it may be cached forever, as Atlassian's key server allows.
  send(res, 200, sim.key.publicKeyPem, { 'content-type': 'application/x-pem-file', 'cache-control': 'public, max-age=31536000, immutable' });
}

/** @param {Simulator} sim @param {RouteContext} ctx */
async function oauthToken(sim, { req, res, url }) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    sim.log.add({ direction: 'app→product', kind: 'oauth', method: 'POST', url: url.toString(), status: 400, note: 'token request must be application/x-www-form-urlencoded' });
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'Send the token request as application/x-www-form-urlencoded (RFC 7523).' });
  }
  const form = /** @type {Record<string, string>} */ (await readFields(req));
  const result = tokenRequest(sim, form);
  sim.log.add({ site: result.site ?? null, direction: 'app→product', kind: 'oauth', method: 'POST', url: url.toString(), status: result.status, note: result.note, token: result.assertion });
  sendJson(res, result.status, result.body);
}

/** @param {Simulator} sim @param {RouteContext} ctx */
function logStream(sim, { req, res, url }) {
  const site = url.searchParams.get('site') || undefined;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  const write = (/** @type {import('./exchange-log.mjs').LogEntry} */ e) => res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
  // A reconnecting EventSource says where it stopped (Last-Event-ID); a first connection, where its page stopped.
  const after = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? 0) || 0;
  for (const e of sim.log.list({ site, after }).reverse()) write(e);
  const unsubscribe = sim.log.subscribe((e) => {
    if (!site || e.site === site) write(e);
  });
  const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
  req.on('close', () => {
    unsubscribe();
    clearInterval(ping);
  });
}

/** @param {import('node:http').ServerResponse} res @param {string} file */
function staticFile(res, file) {
  const type = Object.hasOwn(STATIC_FILES, file) ? STATIC_FILES[file] : undefined;
  if (!type) throw new HttpError(404, 'No such file.');
  // Read on every request: edits to host/public show up without a restart.
  send(res, 200, readFileSync(path.join(PUBLIC_DIR, file)), { 'content-type': type, 'cache-control': 'no-cache' });
}

/** @param {Simulator} sim @param {import('./store.mjs').Site} site */
function siteSummary(sim, site) {
  return { name: site.name, baseUrl: siteBaseUrl(sim.config.hostUrl, site), issues: site.issues.map((i) => i.key), users: site.users.map((u) => ({ accountId: u.accountId, displayName: u.displayName })), installations: Object.values(site.installations).map(installationSummary), forge: Object.values(forgeInstallations(site)).map(forgeInstallationSummary), cloudId: site.cloudId };
}

/** No secrets: this is what the CLI and the dashboard's JSON show. @param {import('./store.mjs').Installation} i */
function installationSummary(i) {
  return { appKey: i.appKey, appName: i.appName, state: i.state, onForge: Boolean(i.onForge), clientKey: i.clientKey, baseUrl: i.descriptor.baseUrl, descriptorUrl: i.descriptorUrl, updatedAt: i.updatedAt, lastError: i.lastError };
}

/** @param {import('./store.mjs').Delivery} d */
function deliverySummary(d) {
  return { id: d.id, appKey: d.appKey, event: d.event, path: d.path, retry: d.retry, status: d.status, sentAt: d.sentAt };
}
