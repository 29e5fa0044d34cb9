/**
 * Everything the simulator holds, in one object passed to every operation: configuration, the install
 * and Forge keys, the Forge tokens, the state store, the exchange log, the access tokens and UPM tasks it issued.
 */
import { ExchangeLog } from './exchange-log.mjs';
import { ForgeTokens } from './forge-api.mjs';
import { loadOrCreateForgeKey, loadOrCreateInstallKey } from './keys.mjs';
import { AccessTokens } from './oauth.mjs';
import { Store } from './store.mjs';
import { Upm } from './upm.mjs';

export class Simulator {
  /** @param {import('./config.mjs').HostConfig} config */
  constructor(config) {
    this.config = config;
    this.key = loadOrCreateInstallKey(config.dataDir);
    /** Signs Forge Invocation Tokens; published at /forge/jwks.json. */
    this.forgeKey = loadOrCreateForgeKey(config.dataDir);
    /** The x-forge-oauth-system / x-forge-oauth-user tokens handed to Forge remotes. */
    this.forgeTokens = new ForgeTokens();
    this.store = Store.open(config.dataDir, { license: config.license });
    this.log = new ExchangeLog({ echo: config.echo });
    this.accessTokens = new AccessTokens();
    this.upm = new Upm();
    /** @type {Map<string, Promise<void>>} */
    this.queues = new Map();
    if (this.store.listSites().length === 0) this.store.createSite(config.defaultSite);
  }

  /**
   * Runs `task` once the previous task with the same key has finished: the product applies one
   * lifecycle change at a time per site, so a double click cannot interleave two installs.
   * @template T
   * @param {string} key
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  serialize(key, task) {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const settled = result.then(() => undefined, () => undefined);
    this.queues.set(key, settled);
    settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return result;
  }

  /**
   * The signed-in user of a site: the one named by the `apsim_user` cookie, or the site's first user.
   * @param {import('./store.mjs').Site} site
   * @param {string | undefined} cookieHeader
   */
  currentUser(site, cookieHeader) {
    const match = /(?:^|;\s*)apsim_user=([^;]+)/.exec(cookieHeader ?? '');
    const accountId = match ? decodeURIComponent(match[1]) : '';
    return site.users.find((u) => u.accountId === accountId) ?? site.users[0];
  }
}
