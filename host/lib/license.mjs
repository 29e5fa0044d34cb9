/**
 * A site's license for the app, as the simulator plays it, switched from the dashboard or
 * `POST /sites/<site>/_admin/license` (`license=active|inactive|unset`).
 *
 *   unset     (the default) what a free app or a development install sees: Connect sends `lic=none` and
 *             `context.license.active: false` (Jira sends lic=none to apps without paid licensing); Forge puts
 *             no `app.license` in the FIT, as in development and staging.
 *   active    a paid, active license: `lic=active`, `context.license.active: true`, FIT `app.license.isActive: true`.
 *   inactive  a paid app whose license lapsed: `lic=none`, `context.license.active: false`, `app.license.isActive: false`.
 *
 * Real Forge puts `app.license` only in production FITs; the simulator adds it whatever the environment
 * once a state is chosen, so a developer can try both answers locally. Of the FIT license's fields only
 * `isActive`, `type` and `isEvaluation` are sent: the others Forge documents for `context.license`
 * (billing period, entitlement ids, dates) are not emulated.
 */

/** @typedef {'active' | 'inactive'} LicenseState */
export const LICENSE_STATES = /** @type {const} */ (['unset', 'active', 'inactive']);

/**
 * Sets the site's license; `unset` removes it.
 * @param {import('./store.mjs').Site} site @param {string} state
 * @example setLicense(site, 'inactive')
 */
export function setLicense(site, state) {
  if (!LICENSE_STATES.includes(/** @type {any} */ (state))) throw new TypeError(`license must be one of ${LICENSE_STATES.join(', ')}.`);
  if (state === 'unset') delete site.license;
  else site.license = /** @type {LicenseState} */ (state);
}

/** Connect's `lic` iframe parameter. @param {import('./store.mjs').Site} site */
export function connectLic(site) {
  return site.license === 'active' ? 'active' : 'none';
}

/** The `license` of a Connect module context (AP.context.getContext(), context JWTs). @param {import('./store.mjs').Site} site */
export function connectContextLicense(site) {
  return { active: site.license === 'active' };
}

/**
 * The FIT's `app.license`, or undefined when the site has none (Forge development and staging).
 * @param {import('./store.mjs').Site} site
 */
export function forgeAppLicense(site) {
  if (!site.license) return undefined;
  return { isActive: site.license === 'active', type: 'commercial', isEvaluation: false };
}
