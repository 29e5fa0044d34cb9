/**
 * A Forge app's manifest.yml as the simulator installs it: read with the `yaml` package, manifest
 * variables substituted the way the Forge CLI does (`${NAME}` for each name listed in
 * `environment.variables`, from the environment or the variable's `default`; a missing one is an error),
 * then the modules the simulator plays. Validation is Atlassian's job (`@forge/manifest`, run in
 * `npm test` and by `forge lint`); here only what the simulator needs is checked, with a clear message.
 * https://developer.atlassian.com/platform/forge/manifest-reference/variables/
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { FORGE_APP_ID_PATTERN } from '../../lib/forge/app-id.mjs';
import { stripTrailingSlashes } from '../../lib/url.mjs';

export class ForgeManifestError extends Error {
  /** @param {string} message safe to show */
  constructor(message) {
    super(message);
    this.name = 'ForgeManifestError';
  }
}

/**
 * @typedef {{ key: string, title?: string, resource: string, resolver?: { endpoint?: string, function?: string } }} UiModule
 * @typedef {{ key: string, remote: string, route?: { path: string }, auth?: { appUserToken?: { enabled: boolean }, appSystemToken?: { enabled: boolean } } }} Endpoint
 * @typedef {{ key: string, endpoint?: string, function?: string, events: string[] }} Trigger
 * @typedef {{ key: string, baseUrl: string }} Remote
 * @typedef {{ key: string, path: string }} Resource
 *
 * @typedef {object} ForgeApp  what the simulator reads from a manifest
 * @property {string} appId          app.id
 * @property {string} manifestPath   absolute
 * @property {Record<string, any>} manifest  after variable substitution
 * @property {string[]} scopes
 */

/**
 * Reads and interpolates a manifest.
 * @param {string} manifestPath
 * @param {Record<string, string | undefined>} variables  values for `${NAME}` (the environment)
 * @returns {ForgeApp}
 * @example loadForgeManifest('forge/manifest.yml', { APP_URL: 'http://localhost:3000' })
 */
export function loadForgeManifest(manifestPath, variables) {
  let text;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch {
    throw new ForgeManifestError(`No Forge manifest at ${manifestPath} (HOST_FORGE_MANIFEST).`);
  }
  let raw;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ForgeManifestError(`${manifestPath} is not valid YAML: ${/** @type {Error} */ (err).message}`);
  }
  const manifest = interpolate(raw, declaredVariables(raw), variables);
  const appId = manifest?.app?.id;
  if (typeof appId !== 'string' || !FORGE_APP_ID_PATTERN.test(appId)) {
    throw new ForgeManifestError(`${manifestPath} has no app.id like ari:cloud:ecosystem::app/<uuid> (run forge register).`);
  }
  const scopes = Array.isArray(manifest.permissions?.scopes) ? manifest.permissions.scopes.filter((s) => typeof s === 'string') : [];
  const app = { appId, manifestPath: path.resolve(manifestPath), manifest, scopes };
  for (const endpoint of modulesOf(app).endpoints) remoteUrl(app, endpoint, '/');
  return app;
}

/** @param {any} manifest @returns {Map<string, string | undefined>} name → default */
function declaredVariables(manifest) {
  const declared = new Map();
  for (const v of manifest?.environment?.variables ?? []) {
    if (typeof v === 'string') declared.set(v, undefined);
    else if (v && typeof v.key === 'string') declared.set(v.key, typeof v.default === 'string' ? v.default : undefined);
  }
  return declared;
}

/** @param {unknown} value @param {Map<string, string | undefined>} declared @param {Record<string, string | undefined>} variables @returns {any} */
function interpolate(value, declared, variables) {
  if (typeof value === 'string') {
    return value.replace(/\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g, (original, name) => {
      if (!declared.has(name)) return original;
      const v = variables[name] ?? declared.get(name);
      if (v === undefined) throw new ForgeManifestError(`The manifest uses \${${name}}, which is not set (and has no default).`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, declared, variables));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, declared, variables)]));
  return value;
}

/**
 * The modules the simulator plays.
 * @param {ForgeApp} app
 */
export function modulesOf(app) {
  const m = app.manifest.modules ?? {};
  const list = (/** @type {string} */ type) => (Array.isArray(m[type]) ? m[type] : []);
  return {
    /** @type {UiModule[]} */ issuePanels: list('jira:issuePanel'),
    /** @type {UiModule[]} */ globalPages: list('jira:globalPage'),
    /** @type {Trigger[]} */ triggers: list('trigger'),
    /** @type {{ key: string, endpoint?: string, function?: string, interval: string }[]} */ scheduledTriggers: list('scheduledTrigger'),
    /** @type {{ key: string, endpoint?: string, function?: string }[]} */ preUninstall: list('preUninstall'),
    /** @type {Endpoint[]} */ endpoints: list('endpoint'),
  };
}

/** @param {ForgeApp} app @param {string} key @returns {Endpoint} */
export function endpointOf(app, key) {
  const endpoint = modulesOf(app).endpoints.find((e) => e.key === key);
  if (!endpoint) throw new ForgeManifestError(`The manifest has no endpoint "${key}".`);
  return endpoint;
}

/** @param {ForgeApp} app @param {string} key @returns {Resource} */
export function resourceOf(app, key) {
  const resource = (app.manifest.resources ?? []).find((/** @type {Resource} */ r) => r.key === key);
  if (!resource) throw new ForgeManifestError(`The manifest has no resource "${key}".`);
  return resource;
}

/**
 * The URL a request to `endpoint` with `path` goes to: the remote's baseUrl, then the route (events) or
 * the path the UI asked for (invokeRemote).
 * @param {ForgeApp} app @param {Endpoint} endpoint @param {string} path
 */
export function remoteUrl(app, endpoint, path) {
  const remote = (app.manifest.remotes ?? []).find((/** @type {Remote} */ r) => r.key === endpoint.remote);
  if (!remote || typeof remote.baseUrl !== 'string') throw new ForgeManifestError(`The endpoint "${endpoint.key}" names the remote "${endpoint.remote}", which has no baseUrl.`);
  let base;
  try {
    base = new URL(remote.baseUrl);
  } catch {
    throw new ForgeManifestError(`The remote "${remote.key}" has baseUrl "${remote.baseUrl}", which is not a URL.`);
  }
  return `${stripTrailingSlashes(base.toString())}${path}`;
}
