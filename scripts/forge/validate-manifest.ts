/**
 * Checks a manifest.yml the way Forge will: Atlassian's own validator, `@forge/manifest` (the schema and
 * cross-checks `forge lint` and `forge deploy` run: properties, runtime, module keys and types, remotes,
 * storage, scopes, Custom UI resources on disk), with the manifest variables (`${APP_URL}`, `${CONNECT_KEY}`)
 * substituted from the given environment exactly as the Forge CLI substitutes them.
 *
 * Plus the few rules it does not state (checked against @forge/manifest 13.7.0, which accepts each of these):
 * `app.id` is an app ARI, a remote is a public https URL, `connectModules` keys have Forge's key pattern,
 * Connect lifecycle URLs are paths, webhooks have an event and a URL, a remote that asks for a token has the
 * scope that token needs, a `fetch.backend` remote declares the fetch operation, no scope twice, 200 KB.
 */
import { readFile } from 'node:fs/promises';
import { isPublicHttpsUrl } from '../../lib/connect/hosts';
import { FORGE_APP_ID_PATTERN } from '../../lib/forge/config';
import { MODULE_KEY_PATTERN } from './manifest';

/** "The Forge platform enforces a maximum file size limit of 200 KB for the manifest.yml file." */
export const MANIFEST_MAX_BYTES = 200 * 1024;

/**
 * The id Atlassian's converter writes before an app is registered: "A dummy id is required for the
 * 'forge register' command to work", which replaces it with the real one.
 * https://github.com/atlassian-forks/connect-to-forge/blob/main/src/convert.ts
 */
export const UNREGISTERED_APP_ID = 'ari:cloud:ecosystem::app/invalid-run-forge-register';

export interface ManifestCheck {
  /** What makes Forge (or this app) refuse the manifest; empty when none. */
  errors: string[];
  /** What @forge/manifest reports as a warning. */
  warnings: string[];
}

export interface ValidateOptions {
  /** Values for the manifest variables, as the Forge CLI would take them from its environment. */
  env: Record<string, string | undefined>;
  /** Accept the placeholder id that `forge register` replaces. */
  unregistered?: boolean;
}

/**
 * Validates a manifest file with @forge/manifest and this module's own rules.
 *
 * @example const { errors } = await validateManifestFile('forge/manifest.yml', { env: { APP_URL: 'https://notes.example.com' } })
 */
export async function validateManifestFile(file: string, options: ValidateOptions): Promise<ManifestCheck> {
  const text = await readFile(file, 'utf8');
  const errors: string[] = [];
  const warnings: string[] = [];
  if (Buffer.byteLength(text) > MANIFEST_MAX_BYTES) errors.push(`the manifest is over Forge's ${MANIFEST_MAX_BYTES / 1024} KB limit`);

  const forge = await import('@forge/manifest');
  await withManifestVariables(options.env, async () => {
    const result = await forge.validate(false, file);
    for (const e of result.errors ?? []) (e.level === 'error' ? errors : warnings).push(`${e.line ? `line ${e.line}: ` : ''}${e.message}`);
    // The same substitution as the CLI, so the rules below see the URL and key Forge will see.
    let manifest: unknown;
    try {
      manifest = new forge.ManifestParserBuilder().withInterpolators().build().parseManifest({ content: text, filePath: file });
    } catch {
      return; // not YAML, or a variable is missing: @forge/manifest has said so
    }
    errors.push(...manifestProblems(manifest, { unregistered: options.unregistered }));
  });
  return { errors, warnings };
}

/**
 * The rules @forge/manifest lacks, over a parsed (variables substituted) manifest; empty when none fails.
 *
 * @example expect(manifestProblems(parse(yaml))).toEqual([])
 */
export function manifestProblems(manifest: unknown, options: { unregistered?: boolean } = {}): string[] {
  const problems: string[] = [];
  const problem = (p: string) => problems.push(p);
  if (!isObject(manifest)) return ['the manifest must be a mapping'];

  const app = isObject(manifest.app) ? manifest.app : {};
  const placeholder = options.unregistered && app.id === UNREGISTERED_APP_ID;
  if (!placeholder && (typeof app.id !== 'string' || !FORGE_APP_ID_PATTERN.test(app.id))) {
    problem(app.id === UNREGISTERED_APP_ID ? '"app.id" is still the placeholder: run `forge register` first' : '"app.id" must be ari:cloud:ecosystem::app/<uuid>');
  }

  const remotes = Array.isArray(manifest.remotes) ? manifest.remotes.filter(isObject) : [];
  remotes.forEach((remote, i) => {
    const urls = isObject(remote.baseUrl) ? Object.values(remote.baseUrl) : [remote.baseUrl];
    // Forge calls the remote from Atlassian's network: a loopback or plain-http address can never work.
    for (const url of urls) if (!isPublicHttpsUrl(url)) problem(`remotes[${i}].baseUrl must be a public https URL without query, fragment or credentials (is ${JSON.stringify(url)})`);
  });

  const connectModules = isObject(manifest.connectModules) ? manifest.connectModules : {};
  for (const [type, entries] of Object.entries(connectModules)) {
    if (!Array.isArray(entries)) continue;
    entries.forEach((e, i) => {
      const where = `connectModules.${type}[${i}]`;
      if (!isObject(e)) return;
      if (typeof e.key !== 'string' || !MODULE_KEY_PATTERN.test(e.key)) problem(`${where}.key must match ${MODULE_KEY_PATTERN}`);
      if (type.endsWith(':webhooks') && (typeof e.event !== 'string' || typeof e.url !== 'string')) problem(`${where} needs an "event" and a "url"`);
      if (type.endsWith(':lifecycle')) {
        for (const [field, url] of Object.entries(e)) {
          if (field !== 'key' && (typeof url !== 'string' || !url.startsWith('/'))) problem(`${where}.${field} must be a path starting with /`);
        }
      }
    });
  }

  const permissions = isObject(manifest.permissions) ? manifest.permissions : {};
  const scopes = Array.isArray(permissions.scopes) ? permissions.scopes : isObject(permissions.scopes) ? Object.keys(permissions.scopes) : [];
  if (new Set(scopes).size !== scopes.length) problem('"permissions.scopes" lists a scope twice');
  // "If an endpoint opts to enable remote system token access, the read:app-system-token scope must also be specified."
  for (const [token, scope] of [['appSystemToken', 'read:app-system-token'], ['appUserToken', 'read:app-user-token']] as const) {
    const enabled = remotes.some((r) => isObject(r.auth) && isObject(r.auth[token]) && r.auth[token].enabled === true);
    if (enabled && !scopes.includes(scope)) problem(`"permissions.scopes" must include ${scope} when a remote enables ${token}`);
  }
  const backend = isObject(permissions.external) && isObject(permissions.external.fetch) ? permissions.external.fetch.backend : undefined;
  if (Array.isArray(backend)) {
    backend.forEach((entry, i) => {
      if (!isObject(entry) || typeof entry.remote !== 'string') return;
      const remote = remotes.find((r) => r.key === entry.remote);
      if (remote && Array.isArray(remote.operations) && !remote.operations.includes('fetch')) {
        problem(`permissions.external.fetch.backend[${i}]: remote "${entry.remote}" must declare the fetch operation`);
      }
    });
  }
  return problems;
}

/**
 * @forge/manifest reads manifest variables from `process.env` (as the Forge CLI does), so they are set there
 * for the duration of one validation and restored after it.
 */
async function withManifestVariables<T>(env: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(env)) {
    saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await run();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
