/**
 * Development auto-install into a real Atlassian site, as atlassian-connect-express does: `npm run dev` with
 * ATLASSIAN_SITE, ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN set installs the app from
 * `<APP_URL>/atlassian-connect.json` through the site's Universal Plugin Manager (UPM) REST API, and with
 * ATLASSIAN_UNINSTALL_ON_EXIT=1 uninstalls it when dev stops. Types: auto-install.d.mts.
 *
 *   GET    <site>/rest/plugins/1.0/?os_authType=basic   basic auth (email, API token) → `upm-token` header
 *   POST   <site>/rest/plugins/1.0/?token=<upm-token>   {"pluginUri": <descriptor URL>},
 *          Content-Type application/vnd.atl.plugins.remote.install+json → 202 and a pending task
 *   GET    <task link>                                   until the app (`key`) or an error (`status.done`)
 *   DELETE <site>/rest/plugins/1.0/<app key>-key         uninstall
 *
 * https://developer.atlassian.com/platform/marketplace/registering-apps/
 *
 * The site must have development mode on (Settings → Apps → Manage apps → Settings) and the account must be
 * a site admin. UPM has no documented read-only "is development mode on?" call (atlassian-connect-express
 * does not check either): the site answers the install request itself with a refusal, which is reported
 * with what to turn on. The API token is sent only in the Authorization header to the site and never
 * printed; messages go through `redact`, which removes it wherever it might appear.
 */
import { isIP } from 'node:net';

export const INSTALL_CONTENT_TYPE = 'application/vnd.atl.plugins.remote.install+json';
const UPM_PATH = '/rest/plugins/1.0';
const DEV_MODE_HELP = 'turn on development mode (Settings → Apps → Manage apps → Settings → "Enable development mode") ' +
  'and check that the account is a site admin';

export class AutoInstallError extends Error {
  /**
   * @param {'CONFIG' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'REFUSED' | 'FAILED' | 'TIMEOUT' | 'UNREACHABLE'} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'AutoInstallError';
    this.code = code;
  }
}

/**
 * Reads the auto-install settings; null when ATLASSIAN_SITE is not set (the feature is off).
 * Throws AutoInstallError('CONFIG') with what to fix when they cannot work, e.g. an APP_URL the site
 * cannot reach.
 *
 * @param {Record<string, string | undefined>} env
 * @returns {import('./auto-install.d.mts').AutoInstallSettings | null}
 * @example autoInstallSettings({ ATLASSIAN_SITE: 'acme', ATLASSIAN_EMAIL: 'me@acme.com', ATLASSIAN_API_TOKEN: '…', APP_URL: 'https://abc.trycloudflare.com' })
 */
export function autoInstallSettings(env) {
  const rawSite = env.ATLASSIAN_SITE?.trim();
  if (!rawSite) return null;
  const email = env.ATLASSIAN_EMAIL?.trim();
  const apiToken = env.ATLASSIAN_API_TOKEN?.trim();
  const missing = [!email && 'ATLASSIAN_EMAIL', !apiToken && 'ATLASSIAN_API_TOKEN'].filter(Boolean);
  if (missing.length) {
    throw new AutoInstallError('CONFIG', `ATLASSIAN_SITE is set, so npm run dev installs the app there, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not: ` +
      'set your Atlassian account email and an API token (https://id.atlassian.com/manage-profile/security/api-tokens), or unset ATLASSIAN_SITE.');
  }
  const site = parseSite(rawSite);
  const appUrl = parsePublicAppUrl(env.APP_URL);
  return {
    site,
    email: /** @type {string} */ (email),
    apiToken: /** @type {string} */ (apiToken),
    appUrl,
    descriptorUrl: `${appUrl}/atlassian-connect.json`,
    uninstallOnExit: env.ATLASSIAN_UNINSTALL_ON_EXIT?.trim() === '1',
  };
}

/**
 * The site's base URL from ATLASSIAN_SITE: `acme`, `acme.atlassian.net` or `https://acme.atlassian.net`
 * (Confluence: `https://acme.atlassian.net/wiki`). Plain http only for a loopback host (the local simulator).
 * @param {string} raw
 */
export function parseSite(raw) {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw.includes('.') ? raw : `${raw}.atlassian.net`}`;
  let url;
  try {
    url = new URL(withScheme);
  } catch {
    throw new AutoInstallError('CONFIG', `ATLASSIAN_SITE (${raw}) is not a site URL: use e.g. https://your-site.atlassian.net.`);
  }
  if (url.username || url.password) {
    throw new AutoInstallError('CONFIG', 'ATLASSIAN_SITE must not carry credentials: put them in ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AutoInstallError('CONFIG', `ATLASSIAN_SITE must be an https URL (got ${url.origin}).`);
  }
  if (url.search || url.hash) throw new AutoInstallError('CONFIG', 'ATLASSIAN_SITE must not have a query string or fragment.');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * APP_URL as the site will fetch it: https on a public host. A site on the internet cannot reach
 * localhost, so it is refused here with the fix, instead of as a failed install later.
 * @param {string | undefined} raw
 */
export function parsePublicAppUrl(raw) {
  const value = raw?.trim();
  const fix = 'start a tunnel (npm run tunnel) and set APP_URL to its https URL, e.g. APP_URL=https://abc.trycloudflare.com';
  if (!value) throw new AutoInstallError('CONFIG', `APP_URL is not set, and your Atlassian site cannot reach http://localhost: ${fix}.`);
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new AutoInstallError('CONFIG', `APP_URL (${value}) is not a valid URL.`);
  }
  if (isLoopback(url.hostname) || isPrivate(url.hostname)) {
    throw new AutoInstallError('CONFIG', `APP_URL is ${url.origin}, which your Atlassian site cannot reach: ${fix}.`);
  }
  if (url.protocol !== 'https:') {
    throw new AutoInstallError('CONFIG', `APP_URL must be https for Atlassian to install the app (got ${url.origin}): ${fix}.`);
  }
  if (url.search || url.hash || url.username || url.password) throw new AutoInstallError('CONFIG', 'APP_URL must be a plain base URL (no query, fragment or credentials).');
  return url.toString().replace(/\/+$/, '');
}

/**
 * Installs (or reinstalls, to pick up descriptor changes) the app at `descriptorUrl` into `site` and waits
 * until the site reports the result. Resolves with the installed app's key and state.
 *
 * @param {import('./auto-install.d.mts').UpmRequest & { descriptorUrl: string, timeoutMs?: number }} options
 * @returns {Promise<{ key: string, enabled: boolean, reinstalled: boolean }>}
 * @example await installApp({ site: 'https://acme.atlassian.net', email, apiToken, descriptorUrl: 'https://abc.trycloudflare.com/atlassian-connect.json' })
 */
export async function installApp(options) {
  const { site, descriptorUrl, timeoutMs = 60_000 } = options;
  const redact = redactor(options.apiToken);
  try {
    const list = await upm(options, `${UPM_PATH}/?os_authType=basic`, { headers: { accept: 'application/json' } });
    await expectOk(list, site, 'read the installed apps');
    const upmToken = list.headers.get('upm-token');
    if (!upmToken) {
      throw new AutoInstallError('FORBIDDEN', `${site} did not hand out a UPM token, so it will not install apps for this account: ${DEV_MODE_HELP}.`);
    }
    const installed = /** @type {{ plugins?: { key?: string }[] }} */ (await list.json().catch(() => ({})));
    const descriptorKey = options.appKey;
    const reinstalled = Boolean(descriptorKey && installed.plugins?.some((p) => p.key === descriptorKey));

    const started = await upm(options, `${UPM_PATH}/?token=${encodeURIComponent(upmToken)}`, {
      method: 'POST',
      headers: { 'content-type': INSTALL_CONTENT_TYPE, accept: 'application/json' },
      body: JSON.stringify({ pluginUri: descriptorUrl, pluginName: descriptorKey ?? 'connect-next app' }),
    });
    if (started.status !== 202) {
      const detail = await bodyText(started);
      if (started.status === 401 || started.status === 403) {
        throw new AutoInstallError('REFUSED', `${site} refused to install the app (HTTP ${started.status}${detail ? `: ${detail}` : ''}): ${DEV_MODE_HELP}.`);
      }
      throw new AutoInstallError('FAILED', `${site} did not accept the install request (HTTP ${started.status}${detail ? `: ${detail}` : ''}).`);
    }
    const plugin = await waitForTask(options, await started.json(), timeoutMs);
    return { key: String(plugin.key), enabled: plugin.enabled !== false, reinstalled };
  } catch (err) {
    throw cleaned(err, redact, site);
  }
}

/**
 * Uninstalls `appKey` from `site`. Resolves with false when it was not installed.
 * @param {import('./auto-install.d.mts').UpmRequest & { appKey: string }} options
 */
export async function uninstallApp(options) {
  const redact = redactor(options.apiToken);
  try {
    const response = await upm(options, `${UPM_PATH}/${encodeURIComponent(options.appKey)}-key`, { method: 'DELETE' });
    if (response.status === 404) return false;
    await expectOk(response, options.site, `uninstall ${options.appKey}`);
    return true;
  } catch (err) {
    throw cleaned(err, redact, options.site);
  }
}

/**
 * What `npm run dev` does with the settings: once the app answers at `localUrl`, install it into the site;
 * `onExit()` uninstalls it when ATLASSIAN_UNINSTALL_ON_EXIT=1. Problems are reported through `warn`, never
 * thrown: the dev server keeps running, and the message says what to fix.
 *
 * @param {import('./auto-install.d.mts').AutoInstallSettings} settings
 * @param {{ localUrl: string, log: (message: string) => void, warn: (message: string) => void, fetch?: typeof fetch, startTimeoutMs?: number }} io
 */
export function developmentInstall(settings, io) {
  const fetchImpl = io.fetch ?? fetch;
  /** @type {string | null} */
  let installedKey = null;
  const done = (async () => {
    const descriptor = await waitForDescriptor(`${io.localUrl}/atlassian-connect.json`, io.startTimeoutMs ?? 180_000, fetchImpl);
    if (!descriptor) {
      io.warn(`The app did not answer at ${io.localUrl}/atlassian-connect.json: not installing it into ${settings.site}.`);
      return;
    }
    if (!(await answers(settings.descriptorUrl, fetchImpl))) {
      io.warn(`${settings.descriptorUrl} does not answer from here: is the tunnel running (npm run tunnel) and APP_URL its URL? Trying anyway.`);
    }
    io.log(`Installing ${descriptor.key} into ${settings.site} from ${settings.descriptorUrl} …`);
    try {
      const result = await installApp({ ...settings, appKey: descriptor.key, fetch: fetchImpl });
      installedKey = result.key;
      io.log(`${result.reinstalled ? 'Reinstalled' : 'Installed'} ${result.key} into ${settings.site}` +
        `${result.enabled ? '' : ' (disabled: enable it in Manage apps)'}${settings.uninstallOnExit ? '; it is uninstalled when dev stops' : ''}.`);
    } catch (err) {
      io.warn(`Auto-install failed: ${/** @type {Error} */ (err).message}`);
    }
  })();
  return {
    /** Settles when the install succeeded or failed. */
    done,
    /** Uninstalls the app if it was installed and ATLASSIAN_UNINSTALL_ON_EXIT=1; waits at most 20 s. */
    async onExit() {
      if (!settings.uninstallOnExit) return;
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (!installedKey) return;
      io.log(`Uninstalling ${installedKey} from ${settings.site} …`);
      const uninstall = uninstallApp({ ...settings, appKey: installedKey, fetch: fetchImpl }).then(
        (removed) => io.log(removed ? `Uninstalled ${installedKey}.` : `${installedKey} was not installed any more.`),
        (err) => io.warn(`Uninstall failed: ${err.message}`),
      );
      await Promise.race([uninstall, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    },
  };
}

/**
 * The local descriptor once the dev server answers (it compiles the route on the first request).
 * @param {string} url @param {number} timeoutMs @param {typeof fetch} fetchImpl
 * @returns {Promise<{ key: string } | null>}
 */
async function waitForDescriptor(url, timeoutMs, fetchImpl) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetchImpl(url, { signal: AbortSignal.timeout(60_000) });
      if (response.ok) {
        const descriptor = await response.json();
        if (typeof descriptor?.key === 'string') return descriptor;
      }
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return null;
}

/** @param {string} url @param {typeof fetch} fetchImpl */
async function answers(url, fetchImpl) {
  try {
    return (await fetchImpl(url, { signal: AbortSignal.timeout(10_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Follows UPM's pending task: its JSON until it is done, then (after the 303 UPM answers with) the app.
 * @param {import('./auto-install.d.mts').UpmRequest} options
 * @param {any} task
 * @param {number} timeoutMs
 * @returns {Promise<Record<string, unknown>>}
 */
async function waitForTask(options, task, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const link = task?.links?.self;
  if (typeof link !== 'string') throw new AutoInstallError('FAILED', `${options.site} answered the install without a task to follow.`);
  // The link may carry the site's context path (/wiki) or not; resolve it the way ACE does, from /rest/plugins/1.0.
  const at = link.indexOf(UPM_PATH);
  const path = at >= 0 ? link.slice(at) : link;
  let current = task;
  for (;;) {
    if (current?.key) return current;
    if (current?.status?.done) {
      const reason = current.status.errorMessage || current.status.subCode || 'no reason given';
      throw new AutoInstallError('FAILED', `${options.site} could not install the app: ${reason}. ` +
        'It fetches the descriptor from APP_URL: is the tunnel up and the app running?');
    }
    if (Date.now() > deadline) throw new AutoInstallError('TIMEOUT', `${options.site} had not finished installing the app after ${Math.round(timeoutMs / 1000)} s.`);
    const wait = Math.min(Math.max(Number(current?.pingAfter) || 200, 100), 5_000);
    await new Promise((resolve) => setTimeout(resolve, wait));
    const response = await upm(options, path, { headers: { accept: 'application/json' } });
    await expectOk(response, options.site, 'follow the install');
    current = await response.json();
  }
}

/**
 * One request to the site's UPM, with basic auth. Redirects are followed (the finished task is a 303 to the
 * app); fetch drops the Authorization header if a redirect leaves the site's origin.
 * @param {import('./auto-install.d.mts').UpmRequest} options @param {string} path @param {RequestInit} init
 */
async function upm({ site, email, apiToken, fetch: fetchImpl = fetch }, path, init) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`);
  // UPM, like the rest of Atlassian's REST APIs, rejects state-changing requests without this (XSRF check).
  headers.set('x-atlassian-token', 'no-check');
  try {
    return await fetchImpl(`${site}${path}`, { ...init, headers, redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new AutoInstallError('UNREACHABLE', `Could not reach ${site}: ${/** @type {Error} */ (err).cause?.message ?? /** @type {Error} */ (err).message}.`);
  }
}

/** @param {Response} response @param {string} site @param {string} doing */
async function expectOk(response, site, doing) {
  if (response.ok) return;
  const detail = await bodyText(response);
  const suffix = detail ? ` ${detail}` : '';
  if (response.status === 401) {
    throw new AutoInstallError('UNAUTHORIZED', `${site} did not accept ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN (HTTP 401) when trying to ${doing}: check both (an API token, not your password).`);
  }
  if (response.status === 403) throw new AutoInstallError('FORBIDDEN', `${site} refused to ${doing} (HTTP 403):${suffix} ${DEV_MODE_HELP}.`);
  if (response.status === 404) {
    throw new AutoInstallError('NOT_FOUND', `${site} has no UPM at ${UPM_PATH}/ (HTTP 404) when trying to ${doing}: is ATLASSIAN_SITE the site's base URL (Confluence: …/wiki)?`);
  }
  throw new AutoInstallError('FAILED', `${site} answered HTTP ${response.status} when trying to ${doing}.${suffix}`);
}

/** A short, single-line excerpt of an error body (HTML pages are not worth printing). @param {Response} response */
async function bodyText(response) {
  const text = await response.text().catch(() => '');
  if (!text || /^\s*</.test(text)) return '';
  let message = text;
  try {
    const json = JSON.parse(text);
    message = json.message ?? json.errorMessage ?? json.status?.errorMessage ?? text;
  } catch {
    // plain text
  }
  return String(message).replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** @param {string} secret */
function redactor(secret) {
  return (/** @type {string} */ text) => (secret ? text.split(secret).join('***') : text);
}

/** Any error out of here, as an AutoInstallError whose message cannot contain the token. */
function cleaned(err, redact, site) {
  if (err instanceof AutoInstallError) return new AutoInstallError(/** @type {any} */ (err.code), redact(err.message));
  return new AutoInstallError('FAILED', redact(`Installing into ${site} failed: ${/** @type {Error} */ (err).message}`));
}

/** @param {string} hostname */
function isLoopback(hostname) {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Private networks (RFC 1918, link-local, unique local): a cloud site cannot reach them either. @param {string} hostname */
function isPrivate(hostname) {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return /^(10\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host);
  if (isIP(host) === 6) return /^(fc|fd|fe80)/i.test(host);
  return host.endsWith('.local') || host.endsWith('.internal');
}
