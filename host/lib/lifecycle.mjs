/**
 * Installing, enabling, disabling and uninstalling an app, with the callbacks the product sends:
 *
 *   installed    RS256 signed-install token (kid → /install-keys/<kid>), payload with a new sharedSecret;
 *                the install fails unless the app answers 2xx.
 *   enabled      HS256 with the new shared secret, right after a successful install.
 *   disabled     HS256; also sent before `uninstalled` when an enabled app is removed.
 *   uninstalled  RS256, like installed, without the secret.
 *
 * `enabled` and `disabled` are webhooks to the product: its state changes whatever the app answers
 * (a failure is recorded and shown). The clientKey of a site and app never changes; the shared secret is
 * new on every install.
 *
 * Once an app is registered on Forge (forge.mjs `upgradeConnectToForge`), `installed` carries the
 * installationId and `enabled`/`disabled` are no longer sent (Atlassian's Connect-on-Forge limitations:
 * https://developer.atlassian.com/platform/adopting-forge-from-connect/limitations-and-differences/).
 * https://developer.atlassian.com/cloud/jira/platform/connect-app-descriptor/#lifecycle
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { fetchDescriptor } from './descriptor.mjs';
import { appUrl, isSuccess, postToApp } from './outbound.mjs';
import { siteBaseUrl } from './store.mjs';
import { signInstallToken, signRequestToken } from './tokens.mjs';

/** @typedef {import('./simulator.mjs').Simulator} Simulator */
/** @typedef {import('./store.mjs').Site} Site */
/** @typedef {import('./store.mjs').Installation} Installation */

export class LifecycleError extends Error {
  /** @param {string} message safe to show */
  constructor(message) {
    super(message);
    this.name = 'LifecycleError';
  }
}

/**
 * Fetches the descriptor and installs (or reinstalls) the app in `site`, then enables it.
 * @param {Simulator} sim @param {Site} site @param {string} [descriptorUrl]
 * @returns {Promise<Installation>}
 * @example await installApp(sim, site) // the app at APP_URL
 */
export function installApp(sim, site, descriptorUrl = `${sim.config.appUrl}/atlassian-connect.json`) {
  return sim.serialize(site.name, () => install(sim, site, descriptorUrl));
}

/** @param {Simulator} sim @param {Site} site @param {string} descriptorUrl @returns {Promise<Installation>} */
async function install(sim, site, descriptorUrl) {
  let descriptor;
  try {
    descriptor = await fetchDescriptor(descriptorUrl);
  } catch (err) {
    const message = /** @type {Error} */ (err).message;
    sim.log.add({ site: site.name, direction: 'product→app', kind: 'descriptor', method: 'GET', url: descriptorUrl, status: null, note: message });
    throw new LifecycleError(message);
  }
  sim.log.add({ site: site.name, direction: 'product→app', kind: 'descriptor', method: 'GET', url: descriptorUrl, status: 200, note: `descriptor of ${descriptor.key} (baseUrl ${descriptor.baseUrl}) is valid` });

  const previous = site.installations[descriptor.key];
  const now = new Date().toISOString();
  /** @type {Installation} */
  const candidate = {
    appKey: descriptor.key,
    appName: descriptor.name,
    descriptorUrl,
    descriptor,
    clientKey: previous?.clientKey ?? randomUUID(),
    // 33 random bytes: 44 base64url characters, the length of Atlassian's secrets.
    sharedSecret: randomBytes(33).toString('base64url'),
    oauthClientId: previous?.oauthClientId ?? randomBytes(24).toString('base64url'),
    installationId: previous?.installationId ?? `ari:cloud:ecosystem::installation/${randomUUID()}`,
    onForge: previous?.onForge ?? false,
    state: 'installed',
    installedAt: now,
    updatedAt: now,
    lastError: null,
  };
  const { status, answer } = await postInstalled(sim, site, candidate, `installed ${descriptor.key}${previous && previous.state !== 'uninstalled' ? ' (reinstall)' : ''}`);
  if (!isSuccess(status)) {
    // The product keeps what it had: the previous installation and its secret are untouched.
    if (previous) {
      previous.lastError = `installed callback failed (${status ?? 'no answer'}): ${answer || 'no details'}`;
      sim.store.save();
    }
    throw new LifecycleError(`The app refused the installed callback (${status ?? 'no answer'}): ${answer || 'no details'}`);
  }
  site.installations[candidate.appKey] = candidate;
  sim.store.save();
  await sendEnablement(sim, site, candidate, 'enabled');
  return candidate;
}

/**
 * Sends `installed` again for an installation the product already has (its secret unchanged), e.g. when
 * it moves to Forge. Throws LifecycleError unless the app answers 2xx.
 * @param {Simulator} sim @param {Site} site @param {Installation} installation @param {string} note
 */
export async function sendInstalled(sim, site, installation, note) {
  const { status, answer } = await postInstalled(sim, site, installation, note);
  if (!isSuccess(status)) throw new LifecycleError(`The app refused the installed callback (${status ?? 'no answer'}): ${answer || 'no details'}`);
  installation.updatedAt = new Date().toISOString();
  sim.store.save();
}

/**
 * The `installed` callback for `installation`: signed with the install key, as Atlassian signs it.
 * @param {Simulator} sim @param {Site} site @param {Installation} installation @param {string} note
 */
async function postInstalled(sim, site, installation, note) {
  const { descriptor } = installation;
  const url = appUrl(descriptor, descriptor.lifecycle.installed);
  await nextInstallSecond(installation.clientKey);
  const token = signInstallToken({ key: sim.key, clientKey: installation.clientKey, appBaseUrl: descriptor.baseUrl, url });
  return postToApp(sim, { site: site.name, kind: 'lifecycle', url, token, body: lifecyclePayload(sim, site, installation, 'installed'), note });
}

/** `iat` (seconds) of the last `installed` token signed per clientKey, in this process. */
const lastInstallSecond = new Map();

/**
 * Waits until the clock is past the second of the last `installed` signed for `clientKey`. Each install is
 * an admin's action, so Atlassian never signs two for one installation in one second, and the app refuses
 * an `installed` whose `iat` is not newer than the last one it applied (a replayed token, any body).
 * @param {string} clientKey
 */
async function nextInstallSecond(clientKey) {
  const last = lastInstallSecond.get(clientKey);
  const now = Date.now();
  if (last !== undefined && Math.floor(now / 1000) <= last) await new Promise((resolve) => setTimeout(resolve, (last + 1) * 1000 - now + 5));
  lastInstallSecond.set(clientKey, Math.floor(Date.now() / 1000));
}

/**
 * @param {Simulator} sim @param {Site} site @param {string} appKey @param {'enabled' | 'disabled'} event
 */
export function setEnabled(sim, site, appKey, event) {
  return sim.serialize(site.name, async () => {
    const installation = requireInstalled(site, appKey);
    if (installation.state === event) throw new LifecycleError(`${appKey} is already ${event}.`);
    await sendEnablement(sim, site, installation, event);
    return installation;
  });
}

/**
 * @param {Simulator} sim @param {Site} site @param {string} appKey
 */
export function uninstallApp(sim, site, appKey) {
  return sim.serialize(site.name, () => uninstall(sim, site, appKey));
}

/** @param {Simulator} sim @param {Site} site @param {string} appKey */
async function uninstall(sim, site, appKey) {
  const installation = requireInstalled(site, appKey);
  if (installation.state === 'enabled') await sendEnablement(sim, site, installation, 'disabled');
  const { descriptor } = installation;
  installation.state = 'uninstalled';
  installation.updatedAt = new Date().toISOString();
  installation.lastError = null;
  sim.store.save();
  if (descriptor.lifecycle?.uninstalled) {
    const url = appUrl(descriptor, descriptor.lifecycle.uninstalled);
    const token = signInstallToken({ key: sim.key, clientKey: installation.clientKey, appBaseUrl: descriptor.baseUrl, url });
    const { status, answer } = await postToApp(sim, {
      site: site.name, kind: 'lifecycle', url, token, body: lifecyclePayload(sim, site, installation, 'uninstalled'), note: `uninstalled ${appKey}`,
    });
    if (!isSuccess(status)) {
      installation.lastError = `uninstalled callback failed (${status ?? 'no answer'}): ${answer || 'no details'}`;
      sim.store.save();
    }
  }
  return installation;
}

/**
 * @param {Simulator} sim @param {Site} site @param {Installation} installation @param {'enabled' | 'disabled'} event
 */
async function sendEnablement(sim, site, installation, event) {
  installation.state = event;
  installation.updatedAt = new Date().toISOString();
  installation.lastError = null;
  sim.store.save();
  const path = installation.descriptor.lifecycle?.[event];
  if (!path) return;
  if (installation.onForge) {
    sim.log.add({ site: site.name, direction: 'product', kind: 'lifecycle', note: `${event} not sent to ${installation.appKey}: apps registered on Forge do not receive enabled/disabled` });
    return;
  }
  const url = appUrl(installation.descriptor, path);
  const token = signRequestToken({ clientKey: installation.clientKey, sharedSecret: installation.sharedSecret, method: 'POST', url, appBaseUrl: installation.descriptor.baseUrl });
  const { status, answer } = await postToApp(sim, {
    site: site.name, kind: 'lifecycle', url, token, body: lifecyclePayload(sim, site, installation, event), note: `${event} ${installation.appKey}`,
  });
  if (!isSuccess(status)) {
    installation.lastError = `${event} callback failed (${status ?? 'no answer'}): ${answer || 'no details'}`;
    sim.store.save();
  }
}

/**
 * The lifecycle payload, as Jira Cloud sends it. `sharedSecret` is only in `installed`.
 * @param {Simulator} sim @param {Site} site @param {Installation} installation
 * @param {'installed' | 'uninstalled' | 'enabled' | 'disabled'} eventType
 */
export function lifecyclePayload(sim, site, installation, eventType) {
  const baseUrl = siteBaseUrl(sim.config.hostUrl, site);
  return {
    key: installation.appKey,
    clientKey: installation.clientKey,
    ...(eventType === 'installed' ? { sharedSecret: installation.sharedSecret } : {}),
    serverVersion: '100244',
    pluginsVersion: '1001.0.0-SNAPSHOT',
    baseUrl,
    displayUrl: baseUrl,
    displayUrlServicedeskHelpCenter: baseUrl,
    productType: 'jira',
    description: `Atlassian JIRA at ${baseUrl}`,
    eventType,
    cloudId: site.cloudId,
    // Only apps registered on Forge get it; it is the Forge installation's id, the link between the doors.
    ...(installation.onForge ? { installationId: installation.installationId } : {}),
    oauthClientId: installation.oauthClientId,
  };
}

/** @param {Site} site @param {string} appKey */
function requireInstalled(site, appKey) {
  const installation = site.installations[appKey];
  if (!installation || installation.state === 'uninstalled') throw new LifecycleError(`${appKey} is not installed on ${site.name}.`);
  return installation;
}

/**
 * Development convenience (HOST_AUTO_INSTALL): waits for the app's descriptor, then installs the app in
 * `siteName` unless it is already enabled there with the very same descriptor — like the automatic
 * registration of atlassian-connect-express, so a restarted dev server is installed with its current modules.
 * @param {Simulator} sim @param {string} siteName
 * @param {{ timeoutMs?: number, intervalMs?: number }} [options]
 */
export async function autoInstall(sim, siteName, { timeoutMs = 300_000, intervalMs = 1000 } = {}) {
  const descriptorUrl = `${sim.config.appUrl}/atlassian-connect.json`;
  const deadline = Date.now() + timeoutMs;
  let descriptor;
  while (!descriptor) {
    try {
      descriptor = await fetchDescriptor(descriptorUrl);
    } catch (err) {
      if (Date.now() > deadline) throw new LifecycleError(`Gave up waiting for ${descriptorUrl}: ${/** @type {Error} */ (err).message}`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
  const site = sim.store.getSite(siteName) ?? sim.store.createSite(siteName);
  const current = site.installations[descriptor.key];
  if (current?.state === 'enabled' && JSON.stringify(current.descriptor) === JSON.stringify(descriptor)) {
    sim.log.add({ site: site.name, direction: 'product', kind: 'lifecycle', note: `${descriptor.key} is already installed and enabled with this descriptor` });
    return current;
  }
  return installApp(sim, site, descriptorUrl);
}
