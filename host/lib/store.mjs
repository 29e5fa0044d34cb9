/**
 * The simulator's state: sites (tenants), their fake content, the apps installed in each, and recent
 * webhook deliveries. One JSON file in the data directory, rewritten atomically after every change, so
 * a restart keeps sites and installations (and the app keeps working with the secrets it was given).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SITE_NAME } from './config.mjs';
import { seedSite } from './seed.mjs';

/**
 * @typedef {'installed' | 'enabled' | 'disabled' | 'uninstalled'} InstallationState
 *
 * @typedef {object} Installation  one app in one site, as the product records it
 * @property {string} appKey
 * @property {string} appName
 * @property {string} descriptorUrl
 * @property {Record<string, any>} descriptor  snapshot taken at install, as the product keeps it
 * @property {string} clientKey      stable for the site and app across reinstalls
 * @property {string} sharedSecret   new on every install
 * @property {string} oauthClientId
 * @property {string} installationId  an ARI, stable like the clientKey; sent only once the app is on Forge
 * @property {boolean} [onForge]     registered on Forge (Connect-on-Forge): `installed` carries installationId,
 *                                  `enabled`/`disabled` are not sent
 * @property {InstallationState} state
 * @property {string} installedAt
 * @property {string} updatedAt
 * @property {string | null} lastError
 *
 * @typedef {object} Delivery  one webhook, kept so it can be redelivered with the same identifier
 * @property {string} id        X-Atlassian-Webhook-Identifier
 * @property {string} appKey
 * @property {string} event
 * @property {string} path      the webhook URL relative to the app's baseUrl
 * @property {Record<string, any>} body
 * @property {number} retry     how many redeliveries were sent
 * @property {number | null} status  the app's answer to the latest attempt (null: no answer)
 * @property {string} sentAt
 *
 * @typedef {ReturnType<typeof seedSite> & {
 *   name: string, createdAt: string,
 *   installations: Record<string, Installation>,
 *   deliveries: Delivery[],
 *   forge?: Record<string, import('./forge.mjs').ForgeInstallation>,
 *   forgeDeliveries?: import('./forge.mjs').ForgeDelivery[],
 *   license?: import('./license.mjs').LicenseState,
 *   rateLimit?: import('./rate-limit.mjs').RateLimit,
 * }} Site
 */

const FILE = 'state.json';
const MAX_DELIVERIES = 50;

export class Store {
  /**
   * @param {string} file @param {{ version: 1, sites: Record<string, Site> }} state
   * @param {{ license?: import('./license.mjs').LicenseState }} [siteDefaults]  what every new site starts with (HOST_LICENSE)
   */
  constructor(file, state, siteDefaults = {}) {
    this.file = file;
    this.state = state;
    this.siteDefaults = siteDefaults;
  }

  /**
   * Loads the state from `dataDir`, or starts empty.
   * @param {string} dataDir @param {{ license?: import('./license.mjs').LicenseState }} [siteDefaults]
   * @example const store = Store.open('.data/host')
   */
  static open(dataDir, siteDefaults = {}) {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, FILE);
    const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { version: 1, sites: {} };
    if (state.version !== 1 || typeof state.sites !== 'object') throw new Error(`${file} is not a state file of this simulator; delete it to start afresh.`);
    return new Store(file, state, siteDefaults);
  }

  /** @returns {Site[]} oldest first */
  listSites() {
    return Object.values(this.state.sites).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** @param {string} name @returns {Site | undefined} */
  getSite(name) {
    return Object.hasOwn(this.state.sites, name) ? this.state.sites[name] : undefined;
  }

  /**
   * @param {string} name
   * @returns {Site}
   */
  createSite(name) {
    if (!SITE_NAME.test(name)) throw new StoreError('BAD_SITE_NAME', 'A site name is 1-40 lower-case letters, digits or "-", starting with a letter or digit.');
    if (this.getSite(name)) throw new StoreError('SITE_EXISTS', `The site "${name}" already exists.`);
    /** @type {Site} */
    const site = { name, createdAt: new Date().toISOString(), ...seedSite(name), installations: {}, deliveries: [], ...(this.siteDefaults.license && { license: this.siteDefaults.license }) };
    this.state.sites[name] = site;
    this.save();
    return site;
  }

  /** @param {Site} site @param {Delivery} delivery */
  addDelivery(site, delivery) {
    site.deliveries.unshift(delivery);
    site.deliveries.length = Math.min(site.deliveries.length, MAX_DELIVERIES);
    this.save();
  }

  /** Writes the whole state: a temporary file renamed over the old one, so a crash never leaves half a file. */
  save() {
    const tmp = `${this.file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

export class StoreError extends Error {
  /** @param {'BAD_SITE_NAME' | 'SITE_EXISTS'} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

/**
 * A site's base URL: the simulator's origin plus `/sites/<name>`. Several sites share one port; the path
 * works like Confluence's `/wiki` context path (the app resolves REST calls and all.js under it, and the
 * qsh of product-bound requests is computed relative to it).
 * @param {string} hostUrl @param {{ name: string }} site
 */
export function siteBaseUrl(hostUrl, site) {
  return `${hostUrl}/sites/${site.name}`;
}
