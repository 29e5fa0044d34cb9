/**
 * The Universal Plugin Manager REST API, the way development tools install an app from its descriptor
 * URL (atlassian-connect-express's auto-registration, `upm-install`, the Marketplace docs' curl recipe):
 *
 *   GET  <site>/rest/plugins/1.0/?os_authType=basic    basic auth (email:API token) → plugins, `upm-token` header
 *   POST <site>/rest/plugins/1.0/?token=<upm-token>    {"pluginUri": ".../atlassian-connect.json", "pluginName": ...}
 *        content-type application/vnd.atl.plugins.remote.install+json → 202 and a pending task
 *   GET  <site>/rest/plugins/1.0/pending/<task>        {status: {done: false}}, until 303 → the installed plugin,
 *                                                      or {status: {done: true, errorMessage}} on failure
 *   DELETE <site>/rest/plugins/1.0/<appKey>-key        uninstalls
 *
 * Any non-empty email and API token are accepted (there are no real accounts to check them against);
 * a request without them gets the 401 the product would answer.
 * https://developer.atlassian.com/platform/marketplace/registering-apps/
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readBody, send, sendJson } from './http.mjs';
import { installApp, uninstallApp } from './lifecycle.mjs';

export const INSTALL_CONTENT_TYPE = 'application/vnd.atl.plugins.remote.install+json';
const UPM_TOKEN_SECONDS = 300;
const TASK_SECONDS = 600;

/**
 * @typedef {{ site: string, appKey?: string, done: boolean, error?: string, expiresAt: number }} Task
 */

export class Upm {
  constructor() {
    /** @type {Map<string, number>} upm-token → expiry (epoch s) */
    this.upmTokens = new Map();
    /** @type {Map<string, Task>} */
    this.tasks = new Map();
  }

  /**
   * @param {import('./simulator.mjs').Simulator} sim
   * @param {import('./store.mjs').Site} site
   * @param {import('./http.mjs').RouteContext} ctx
   * @param {string} path  below /rest/plugins/1.0, starting with /
   * @param {string} cp    the site's context path (/sites/<name>), for links
   */
  async handle(sim, site, { req, res, url }, path, cp) {
    const method = req.method ?? 'GET';
    const user = basicAuthUser(req.headers.authorization);
    const log = (/** @type {number} */ status, /** @type {string} */ note) =>
      sim.log.add({ site: site.name, direction: 'app→product', kind: 'upm', method, url: url.toString(), status, note });
    if (!user) {
      log(401, 'UPM needs basic auth (email and API token)');
      return send(res, 401, JSON.stringify({ message: 'Client must be authenticated to access this resource.' }), {
        'content-type': 'application/json', 'www-authenticate': 'Basic realm="Connect host simulator"',
      });
    }
    this.#expire();
    const base = `${cp}/rest/plugins/1.0`;

    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      const token = randomBytes(16).toString('hex');
      this.upmTokens.set(token, now() + UPM_TOKEN_SECONDS);
      const plugins = Object.values(site.installations).filter((i) => i.state !== 'uninstalled').map((i) => pluginJson(i, base));
      log(200, `plugin list for ${user} (upm-token issued)`);
      return sendJson(res, 200, { plugins, links: { self: `${base}/` } }, { 'upm-token': token });
    }

    if (path === '/' && method === 'POST') {
      const upmToken = url.searchParams.get('token') ?? '';
      if (!this.upmTokens.delete(upmToken)) {
        log(403, 'missing or used upm-token: GET /rest/plugins/1.0/ first');
        return sendJson(res, 403, { message: 'Invalid or missing UPM token: GET /rest/plugins/1.0/ and send its upm-token header as ?token=.' });
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (type !== INSTALL_CONTENT_TYPE) {
        log(415, `content-type must be ${INSTALL_CONTENT_TYPE}`);
        return sendJson(res, 415, { message: `Content-Type must be ${INSTALL_CONTENT_TYPE}.` });
      }
      let pluginUri;
      try {
        pluginUri = JSON.parse((await readBody(req, 16 * 1024)).toString('utf8')).pluginUri;
        new URL(pluginUri);
      } catch {
        log(400, 'the body must be {"pluginUri": "<descriptor URL>"}');
        return sendJson(res, 400, { message: 'The body must be {"pluginUri": "<absolute descriptor URL>"}.' });
      }
      const id = randomUUID();
      /** @type {Task} */
      const task = { site: site.name, done: false, expiresAt: now() + TASK_SECONDS };
      this.tasks.set(id, task);
      log(202, `install requested by ${user} from ${pluginUri}`);
      // Installed in the background, as UPM does: the app may only answer its lifecycle callback after this request returns.
      installApp(sim, site, pluginUri).then(
        (installation) => Object.assign(task, { done: true, appKey: installation.appKey }),
        (err) => Object.assign(task, { done: true, error: /** @type {Error} */ (err).message }),
      );
      return sendJson(res, 202, taskJson(id, task, base), { 'content-type': 'application/vnd.atl.plugins.install.installing+json' });
    }

    const pending = /^\/pending\/(?<id>[\w-]+)$/.exec(path);
    if (pending && method === 'GET') {
      const id = pending.groups?.id ?? '';
      const task = this.tasks.get(id);
      if (!task || task.site !== site.name) return sendJson(res, 404, { message: 'No such pending task.' });
      if (task.done && task.appKey) return send(res, 303, '', { location: `${base}/${task.appKey}-key` });
      return sendJson(res, 200, taskJson(id, task, base));
    }

    const plugin = /^\/(?<key>[a-zA-Z0-9._-]+)-key$/.exec(path);
    if (plugin) {
      const installation = site.installations[plugin.groups?.key ?? ''];
      if (!installation || installation.state === 'uninstalled') return sendJson(res, 404, { message: 'No such plugin.' });
      if (method === 'GET') return sendJson(res, 200, pluginJson(installation, base));
      if (method === 'DELETE') {
        log(204, `uninstall requested by ${user}`);
        await uninstallApp(sim, site, installation.appKey);
        return send(res, 204, '');
      }
    }
    log(404, 'not part of the simulated UPM API');
    return sendJson(res, 404, { message: `The simulator's UPM does not implement ${method} ${path}.` });
  }

  #expire() {
    const t = now();
    for (const [k, exp] of this.upmTokens) if (exp <= t) this.upmTokens.delete(k);
    for (const [k, task] of this.tasks) if (task.expiresAt <= t) this.tasks.delete(k);
  }
}

/** @param {string | undefined} header @returns {string | null} the user name, when both parts are present */
function basicAuthUser(header) {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 1 || i === decoded.length - 1) return null;
  return decoded.slice(0, i);
}

/** @param {import('./store.mjs').Installation} i @param {string} base */
function pluginJson(i, base) {
  return { key: i.appKey, name: i.appName, enabled: i.state === 'enabled', version: String(i.descriptor.version ?? '1.0.0'), userInstalled: true, links: { self: `${base}/${i.appKey}-key` } };
}

/** @param {string} id @param {Task} task @param {string} base */
function taskJson(id, task, base) {
  const status = task.done ? { done: true, errorMessage: task.error, subCode: 'upm.pluginInstall.error.descriptor.not.valid' } : { done: false };
  return { type: 'INSTALL', pingAfter: 100, status, links: { self: `${base}/pending/${id}`, alternate: `${base}/pending/${id}` } };
}

function now() {
  return Math.floor(Date.now() / 1000);
}
