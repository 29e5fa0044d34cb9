/**
 * The simulator's configuration, read once from the environment. Like the app's `lib/config.ts`, a bad
 * value is reported by variable name with a fix, and nothing else reads `process.env`.
 *
 *   HOST_PORT          port to listen on (default 4000)
 *   HOST_URL           the simulator's public origin (default http://localhost:$HOST_PORT). Sites live at
 *                      $HOST_URL/sites/<name>; the app must accept this host (CONNECT_ALLOWED_HOSTS).
 *   APP_URL            where the app serves /atlassian-connect.json (default http://localhost:$PORT, PORT 3000)
 *   HOST_DATA_DIR      key pair and state (default .data/host)
 *   HOST_AUTO_INSTALL  a site name: install the app there as soon as its descriptor answers
 *   HOST_LOG           "silent" to stop echoing the exchange log to stdout
 *   HOST_FORGE_MANIFEST          the Forge app's manifest.yml (default forge/manifest.yml); its ${APP_URL}
 *                                is APP_URL, other manifest variables come from the environment
 *   HOST_FORGE_AUTO_INSTALL      a site name: once HOST_AUTO_INSTALL has installed the Connect app there,
 *                                upgrade it to Forge (or install the Forge app if no Connect app is there)
 *   HOST_FORGE_RETRY_DELAY_MS    first delay between event retries (default 1000, doubling)
 *   HOST_LICENSE                 active|inactive: the app's license on every site created (default: none, license.mjs)
 *   HOST_PRIVACY_CYCLE_PERIOD    a `Cycle-Period` header for report-accounts answers (default: none sent)
 */
import path from 'node:path';
import { envValue as value } from '../../lib/env.mjs';
import { isLoopbackHost, stripTrailingSlashes } from '../../lib/url.mjs';

export class HostConfigError extends Error {
  /** @param {string} variable @param {string} problem */
  constructor(variable, problem) {
    super(`${variable} ${problem}`);
    this.name = 'HostConfigError';
    this.variable = variable;
  }
}

/**
 * @typedef {object} HostConfig
 * @property {number} port
 * @property {string} hostUrl     origin of the simulator, no trailing slash
 * @property {string[]} bind      addresses to listen on
 * @property {string} appUrl      the app's base URL, no trailing slash
 * @property {string} dataDir
 * @property {string} defaultSite the site created on first start
 * @property {string | null} autoInstall
 * @property {boolean} echo       print each exchange to stdout
 * @property {string} forgeManifest
 * @property {Record<string, string | undefined>} forgeVariables  values of manifest variables
 * @property {string | null} forgeAutoInstall
 * @property {number} forgeRetryDelayMs
 * @property {import('./license.mjs').LicenseState | undefined} license  HOST_LICENSE: the license new sites start with
 * @property {string | null} privacyCyclePeriod
 */

/**
 * @param {Record<string, string | undefined>} [env]
 * @param {string} [cwd]
 * @returns {HostConfig}
 * @example parseHostConfig({ HOST_PORT: '4100', APP_URL: 'http://127.0.0.1:3100' })
 */
export function parseHostConfig(env = process.env, cwd = process.cwd()) {
  // The simulator hands out signing keys and accepts any credentials: it must never face real users.
  if (env.NODE_ENV === 'production') {
    throw new HostConfigError('NODE_ENV', 'is "production": the Connect host simulator is a development tool and refuses to run in production.');
  }
  const port = parsePort(value(env, 'HOST_PORT') ?? '4000');
  const hostUrl = parseOrigin('HOST_URL', value(env, 'HOST_URL') ?? `http://localhost:${port}`);
  const appUrl = parseBaseUrl('APP_URL', value(env, 'APP_URL') ?? `http://localhost:${value(env, 'PORT') ?? '3000'}`);
  const autoInstall = value(env, 'HOST_AUTO_INSTALL') ?? null;
  if (autoInstall !== null && !SITE_NAME.test(autoInstall)) {
    throw new HostConfigError('HOST_AUTO_INSTALL', 'must be a site name (lower-case letters, digits and "-").');
  }
  const forgeAutoInstall = value(env, 'HOST_FORGE_AUTO_INSTALL') ?? null;
  if (forgeAutoInstall !== null && !SITE_NAME.test(forgeAutoInstall)) {
    throw new HostConfigError('HOST_FORGE_AUTO_INSTALL', 'must be a site name (lower-case letters, digits and "-").');
  }
  const license = value(env, 'HOST_LICENSE');
  if (license !== undefined && license !== 'active' && license !== 'inactive') throw new HostConfigError('HOST_LICENSE', 'must be active or inactive (unset: no license, as for a free app).');
  const retryDelay = Number(value(env, 'HOST_FORGE_RETRY_DELAY_MS') ?? '1000');
  if (!Number.isInteger(retryDelay) || retryDelay < 0 || retryDelay > 60_000) throw new HostConfigError('HOST_FORGE_RETRY_DELAY_MS', 'must be a whole number of milliseconds (0-60000).');
  return {
    port,
    hostUrl,
    bind: bindAddresses(new URL(hostUrl).hostname),
    appUrl,
    dataDir: path.resolve(cwd, value(env, 'HOST_DATA_DIR') ?? '.data/host'),
    defaultSite: 'acme',
    autoInstall,
    echo: value(env, 'HOST_LOG') !== 'silent',
    forgeManifest: path.resolve(cwd, value(env, 'HOST_FORGE_MANIFEST') ?? 'forge/manifest.yml'),
    // The manifest's ${APP_URL} is the app the simulator talks to, as the Forge CLI would read it at deploy.
    forgeVariables: { ...env, APP_URL: appUrl },
    forgeAutoInstall,
    forgeRetryDelayMs: retryDelay,
    license: /** @type {import('./license.mjs').LicenseState | undefined} */ (license),
    privacyCyclePeriod: value(env, 'HOST_PRIVACY_CYCLE_PERIOD') ?? null,
  };
}

/** Site names become a path segment of the site's base URL, so they are kept URL-safe. */
export const SITE_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** @param {string} raw */
function parsePort(raw) {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new HostConfigError('HOST_PORT', 'must be a port number (1-65535).');
  return port;
}

/** @param {string} name @param {string} raw */
function parseBaseUrl(name, raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new HostConfigError(name, 'is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HostConfigError(name, 'must be an http(s) URL.');
  if (url.search || url.hash || url.username || url.password) throw new HostConfigError(name, 'must not have credentials, a query or a fragment.');
  return stripTrailingSlashes(url.toString());
}

/** @param {string} name @param {string} raw */
function parseOrigin(name, raw) {
  const url = parseBaseUrl(name, raw);
  if (new URL(url).pathname !== '/') throw new HostConfigError(name, 'must be an origin without a path, e.g. http://localhost:4000.');
  return new URL(url).origin;
}

/**
 * Loopback only: the simulator's endpoints accept any credentials. `localhost` may resolve to either
 * loopback address, so both are bound (the IPv6 one only where the machine has it).
 * @param {string} hostname
 */
function bindAddresses(hostname) {
  if (!isLoopbackHost(hostname)) {
    throw new HostConfigError('HOST_URL', 'must be on a loopback host (localhost, 127.0.0.1 or [::1]): the simulator is not meant to be reachable from other machines.');
  }
  if (hostname === 'localhost') return ['127.0.0.1', '::1'];
  if (hostname === '[::1]') return ['::1'];
  return [hostname];
}
