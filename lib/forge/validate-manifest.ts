/**
 * Structural checks of a Connect-on-Forge manifest, from the rules Atlassian's manifest reference states.
 * Not `forge lint` (which knows every module's schema and runs against your registered app): a guard that
 * the generator never writes a manifest that is wrong in a way the documentation already tells us.
 * - https://developer.atlassian.com/platform/forge/manifest-reference/
 * - https://developer.atlassian.com/platform/forge/manifest-reference/remotes/
 * - https://developer.atlassian.com/platform/forge/manifest-reference/permissions/
 */
import { APP_KEY_PATTERN } from '../connect/descriptor';
import { isLoopbackHost } from '../connect/hosts';
import { FORGE_APP_ID_PATTERN } from './config';
import { MODULE_KEY_PATTERN, REMOTE_OPERATIONS } from './manifest';

/** The top-level properties the manifest reference lists. */
const TOP_LEVEL = new Set(['app', 'modules', 'permissions', 'connectModules', 'endpoint', 'providers', 'remotes', 'resources', 'services', 'environment', 'translations']);

/** "The Forge platform enforces a maximum file size limit of 200 KB for the manifest.yml file." */
export const MANIFEST_MAX_BYTES = 200 * 1024;

/**
 * The id Atlassian's converter writes before an app is registered: "A dummy id is required for the
 * 'forge register' command to work", which replaces it with the real one.
 * https://github.com/atlassian-forks/connect-to-forge/blob/main/src/convert.ts
 */
export const UNREGISTERED_APP_ID = 'ari:cloud:ecosystem::app/invalid-run-forge-register';

/** Remote keys: the module key pattern, at most 23 characters. */
const REMOTE_KEY_MAX = 23;

/** Forge runtimes the manifest reference lists (`nodejs24.x`, `nodejs22.x`, `nodejs20.x`). */
const RUNTIME_PATTERN = /^nodejs\d+\.x$/;

/** `<product>:<Connect module type>`, e.g. `jira:webPanels`. */
const CONNECT_MODULE_TYPE = /^(jira|confluence|compass):[a-zA-Z]+$/;

/**
 * Lists what is structurally wrong with a manifest object; empty when nothing is.
 *
 * `unregistered` accepts the placeholder app id that `forge register` replaces.
 *
 * @example expect(manifestProblems(translateDescriptor(d, { appId }).manifest)).toEqual([])
 */
export function manifestProblems(manifest: unknown, options: { unregistered?: boolean } = {}): string[] {
  const problems: string[] = [];
  const problem = (p: string) => problems.push(p);
  if (!isObject(manifest)) return ['the manifest must be a mapping'];

  for (const key of Object.keys(manifest)) if (!TOP_LEVEL.has(key)) problem(`"${key}" is not a manifest property`);

  const remoteKeys = remotesProblems(manifest.remotes, problem);
  const hasConnectModules = manifest.connectModules !== undefined;

  const app = manifest.app;
  if (!isObject(app)) {
    problem('"app" is required');
  } else {
    const placeholder = options.unregistered && app.id === UNREGISTERED_APP_ID;
    if (!placeholder && (typeof app.id !== 'string' || !FORGE_APP_ID_PATTERN.test(app.id))) problem('"app.id" must be ari:cloud:ecosystem::app/<uuid>');
    if (!isObject(app.runtime) || typeof app.runtime.name !== 'string' || !RUNTIME_PATTERN.test(app.runtime.name)) {
      problem('"app.runtime.name" must name a Forge runtime such as nodejs24.x');
    }
    if (app.licensing !== undefined && (!isObject(app.licensing) || typeof app.licensing.enabled !== 'boolean')) {
      problem('"app.licensing.enabled" must be a boolean');
    }
    const connect = app.connect;
    if (connect === undefined) {
      if (hasConnectModules) problem('"app.connect" is required when the manifest has connectModules');
    } else if (!isObject(connect)) {
      problem('"app.connect" must be a mapping');
    } else {
      if (typeof connect.key !== 'string' || !APP_KEY_PATTERN.test(connect.key)) problem('"app.connect.key" must be the Connect app key');
      if (connect.remote === undefined) {
        if (hasConnectModules) problem('"app.connect.remote" is required when the manifest has connectModules');
      } else if (typeof connect.remote !== 'string' || !remoteKeys.has(connect.remote)) {
        problem('"app.connect.remote" must be the key of an entry in "remotes"');
      }
    }
  }

  const moduleKeys = new Set<string>();
  const claimKey = (key: unknown, where: string) => {
    if (typeof key !== 'string' || !MODULE_KEY_PATTERN.test(key)) problem(`${where}.key must match ${MODULE_KEY_PATTERN}`);
    else if (moduleKeys.has(key)) problem(`${where}.key "${key}" is used twice; module keys are unique within the manifest`);
    else moduleKeys.add(key);
  };

  if (manifest.modules === undefined) {
    if (!hasConnectModules) problem('"modules" is required unless the manifest has connectModules');
  } else if (!isObject(manifest.modules) || !Object.keys(manifest.modules).length) {
    problem('"modules" must be a non-empty mapping');
  } else {
    for (const [type, entries] of Object.entries(manifest.modules)) moduleList(entries, `modules.${type}`, problem, claimKey);
  }

  if (hasConnectModules) {
    if (!isObject(manifest.connectModules)) {
      problem('"connectModules" must be a mapping');
    } else {
      for (const [type, entries] of Object.entries(manifest.connectModules)) {
        const where = `connectModules.${type}`;
        if (!CONNECT_MODULE_TYPE.test(type)) problem(`${where}: module types are <product>:<Connect module type>, e.g. jira:webPanels`);
        moduleList(entries, where, problem, claimKey);
        if (Array.isArray(entries) && type.endsWith(':webhooks')) {
          entries.forEach((e, i) => {
            if (isObject(e) && (typeof e.event !== 'string' || typeof e.url !== 'string')) problem(`${where}[${i}] needs an "event" and a "url"`);
          });
        }
        if (Array.isArray(entries) && type.endsWith(':lifecycle')) {
          entries.forEach((e, i) => {
            if (!isObject(e)) return;
            for (const [field, url] of Object.entries(e)) {
              if (field !== 'key' && (typeof url !== 'string' || !url.startsWith('/'))) problem(`${where}[${i}].${field} must be a path starting with /`);
            }
          });
        }
      }
    }
  }

  permissionsProblems(manifest.permissions, manifest.remotes, remoteKeys, problem);
  return problems;
}

function remotesProblems(remotes: unknown, problem: (p: string) => void): Set<string> {
  const keys = new Set<string>();
  if (remotes === undefined) return keys;
  if (!Array.isArray(remotes)) {
    problem('"remotes" must be a list');
    return keys;
  }
  remotes.forEach((remote, i) => {
    const where = `remotes[${i}]`;
    if (!isObject(remote)) return problem(`${where} must be a mapping`);
    if (typeof remote.key !== 'string' || !MODULE_KEY_PATTERN.test(remote.key) || remote.key.length > REMOTE_KEY_MAX) {
      problem(`${where}.key must match ${MODULE_KEY_PATTERN} and have at most ${REMOTE_KEY_MAX} characters`);
    } else if (keys.has(remote.key)) {
      problem(`${where}.key "${remote.key}" is used twice`);
    } else {
      keys.add(remote.key);
    }
    const urls = isObject(remote.baseUrl) ? Object.values(remote.baseUrl) : [remote.baseUrl];
    if (isObject(remote.baseUrl) && typeof remote.baseUrl.default !== 'string') problem(`${where}.baseUrl.default is required with region-specific URLs`);
    for (const url of urls) if (!isHttpsUrl(url)) problem(`${where}.baseUrl must be a public https URL without query or fragment`);
    const operations = remote.operations;
    if (operations !== undefined) {
      if (!Array.isArray(operations) || operations.some((o) => !(REMOTE_OPERATIONS as readonly unknown[]).includes(o))) {
        problem(`${where}.operations may only contain ${REMOTE_OPERATIONS.join(', ')}`);
      } else if (operations.includes('storage') && (!isObject(remote.storage) || typeof remote.storage.inScopeEUD !== 'boolean')) {
        problem(`${where}.storage.inScopeEUD is required when operations has storage`);
      }
    }
    if (remote.auth !== undefined) {
      if (!isObject(remote.auth)) problem(`${where}.auth must be a mapping`);
      else {
        for (const [token, setting] of Object.entries(remote.auth)) {
          if (token !== 'appSystemToken' && token !== 'appUserToken') problem(`${where}.auth.${token} is not a Forge token`);
          else if (!isObject(setting) || typeof setting.enabled !== 'boolean') problem(`${where}.auth.${token}.enabled must be a boolean`);
        }
      }
    }
  });
  return keys;
}

function permissionsProblems(permissions: unknown, remotes: unknown, remoteKeys: Set<string>, problem: (p: string) => void): void {
  if (!isObject(permissions)) return void problem('"permissions" is required (with "scopes: []" when the app needs none)');
  const scopes = permissions.scopes;
  // Scopes are a list, or a map of scope → { allowImpersonation } for offline user impersonation.
  const scopeNames = Array.isArray(scopes) ? scopes : isObject(scopes) ? Object.keys(scopes) : undefined;
  if (!scopeNames || scopeNames.some((s) => typeof s !== 'string' || !/^[a-z0-9.:-]+$/.test(s))) {
    problem('"permissions.scopes" must be a list of scope names');
  } else if (new Set(scopeNames).size !== scopeNames.length) {
    problem('"permissions.scopes" lists a scope twice');
  } else if (Array.isArray(remotes)) {
    // "If an endpoint opts to enable remote system token access, the read:app-system-token scope must also be specified."
    for (const token of ['appSystemToken', 'appUserToken'] as const) {
      const scope = token === 'appSystemToken' ? 'read:app-system-token' : 'read:app-user-token';
      const enabled = remotes.some((r) => isObject(r) && isObject(r.auth) && isObject(r.auth[token]) && r.auth[token].enabled === true);
      if (enabled && !scopeNames.includes(scope)) problem(`"permissions.scopes" must include ${scope} when a remote enables ${token}`);
    }
  }
  const backend = isObject(permissions.external) && isObject(permissions.external.fetch) ? permissions.external.fetch.backend : undefined;
  if (backend === undefined) return;
  if (!Array.isArray(backend)) return void problem('"permissions.external.fetch.backend" must be a list');
  backend.forEach((entry, i) => {
    const where = `permissions.external.fetch.backend[${i}]`;
    if (typeof entry === 'string') {
      if (!/^(\*\.)?[.a-zA-Z0-9_\-/:~#%]+$/.test(entry)) problem(`${where} is not a valid domain`);
    } else if (isObject(entry) && typeof entry.remote === 'string') {
      if (!remoteKeys.has(entry.remote)) problem(`${where}.remote must be the key of an entry in "remotes"`);
      const remote = Array.isArray(remotes) ? remotes.find((r) => isObject(r) && r.key === entry.remote) : undefined;
      if (isObject(remote) && Array.isArray(remote.operations) && !remote.operations.includes('fetch')) {
        problem(`${where}: remote "${entry.remote}" must declare the fetch operation`);
      }
    } else if (!(isObject(entry) && typeof entry.address === 'string')) {
      problem(`${where} must be a domain, { address } or { remote }`);
    }
  });
}

function moduleList(entries: unknown, where: string, problem: (p: string) => void, claimKey: (key: unknown, where: string) => void): void {
  if (!Array.isArray(entries) || !entries.length) return void problem(`${where} must be a non-empty list`);
  entries.forEach((entry, i) => {
    if (!isObject(entry)) problem(`${where}[${i}] must be a mapping`);
    else claimKey(entry.key, `${where}[${i}]`);
  });
}

function isHttpsUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const url = new URL(v);
    // Forge calls the remote from Atlassian's network, so a loopback address can never be reached.
    return url.protocol === 'https:' && !isLoopbackHost(url.hostname) && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
