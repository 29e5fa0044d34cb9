/**
 * Translation of the Connect descriptor into a Connect-on-Forge `manifest.yml`: the same app, registered on
 * Forge, whose Connect modules keep calling this backend. A pure function: descriptor in, manifest and
 * warnings out. Anything the manifest cannot carry is reported as a warning, never dropped silently.
 *
 * The manifest holds no URL and no per-environment key: `app.connect.key` is `${CONNECT_KEY}` and the
 * remote's `baseUrl` is `${APP_URL}`, manifest variables the Forge CLI fills from its environment at each
 * deploy (`npm run forge:deploy` sets both), as Atlassian's dev-loop page shows:
 * https://developer.atlassian.com/platform/adopting-forge-from-connect/devloop/
 * https://developer.atlassian.com/platform/forge/manifest-reference/variables/
 *
 * The shape follows Atlassian's manifest reference and the output of Atlassian's own converter
 * (`npx connect-to-forge convert`, which the manifest reference names as the tool that fills `connectModules`):
 * - https://developer.atlassian.com/platform/forge/manifest-reference/            (app, app.connect, connectModules)
 * - https://developer.atlassian.com/platform/forge/manifest-reference/remotes/    (remotes, operations, auth)
 * - https://developer.atlassian.com/platform/forge/manifest-reference/permissions/ (scopes, external.fetch.backend)
 * - https://developer.atlassian.com/platform/adopting-forge-from-connect/how-to-adopt/
 * - https://github.com/atlassian-forks/connect-to-forge/blob/main/src/convert.ts  (lifecycle, webhook keys, scope names)
 */
import type { Descriptor } from '../../lib/connect/descriptor';

export type Product = 'jira' | 'confluence';

/** The purposes a remote may declare; `compute` is what `invokeRemote` needs. */
export const REMOTE_OPERATIONS = ['storage', 'compute', 'fetch', 'other'] as const;
export type RemoteOperation = (typeof REMOTE_OPERATIONS)[number];

export interface ForgeRemote {
  key: string;
  baseUrl: string;
  operations?: RemoteOperation[];
  /** Required when `operations` has `storage`: whether in-scope End-User Data is stored there. */
  storage?: { inScopeEUD: boolean };
  auth?: { appSystemToken?: { enabled: boolean }; appUserToken?: { enabled: boolean } };
}

/** A Connect module as the descriptor declares it, plus the `key` every manifest module needs. */
export type ConnectModule = { key: string } & Record<string, unknown>;

export type FetchBackendEntry = string | { remote: string } | { address: string };

/** `environment.variables`: a name, or a name with the value used when the environment does not set it. */
export type ManifestVariable = string | { key: string; default: string };

export interface ForgeManifest {
  app: {
    id: string;
    connect: { key: string; remote: string };
    runtime: { name: string };
    licensing?: { enabled: boolean };
  };
  remotes: ForgeRemote[];
  permissions: {
    scopes: string[];
    external?: { fetch?: { backend?: FetchBackendEntry[] } };
  };
  /** `<product>:<connect module type>` → modules, fields as in the descriptor. */
  connectModules: Record<string, ConnectModule[]>;
  /** Forge modules: the migration declaration, and a native manifest's modules when merged. */
  modules?: Record<string, Record<string, unknown>[]>;
  resources?: { key: string; path: string; [field: string]: unknown }[];
  environment: { variables: ManifestVariable[] };
}

/** The manifest variables the Forge CLI substitutes at deploy time (set by `npm run forge:deploy`). */
export const CONNECT_KEY_VARIABLE = 'CONNECT_KEY';
export const APP_URL_VARIABLE = 'APP_URL';

/**
 * `connectToForgeMigration`: what admins see about the app during Connect's end of support (a banner linking
 * to the migration plan). @forge/manifest 13.7.0 names the module `connectToForgeMigration` (an early version
 * of Atlassian's page wrote `core:connectToForgeMigration`, which the validator refuses).
 * https://developer.atlassian.com/platform/adopting-forge-from-connect/connect-to-forge-migration-module/
 */
export const MIGRATION_MODULE = 'connectToForgeMigration';
export const MIGRATION_MODULE_KEY = 'connect-to-forge-migration';
export const MIGRATION_COMMITMENTS = ['YES', 'NO', 'UNDECIDED'] as const;
export type MigrationCommitment = (typeof MIGRATION_COMMITMENTS)[number];

export type ManifestWarningCode =
  /** A module (or one entry of it) is not in the manifest; the message says why and what to do. */
  | 'MODULE_NOT_CARRIED'
  /** A top-level descriptor field with behaviour that the manifest does not carry. */
  | 'FIELD_NOT_CARRIED'
  | 'SCOPE_NOT_CARRIED'
  /** Carried over, but Atlassian delivers it differently once the app is on Forge. */
  | 'BEHAVIOUR_CHANGES';

export interface ManifestWarning {
  code: ManifestWarningCode;
  /** Where in the descriptor, e.g. `modules.jiraGlobalPermissions` or `lifecycle.enabled`. */
  subject: string;
  message: string;
}

export interface ManifestTranslation {
  manifest: ForgeManifest;
  warnings: ManifestWarning[];
}

export interface ManifestOptions {
  /** `app.id`, from `forge register` (checked by lib/forge/config.ts parseForgeAppId). */
  appId: string;
  /** The product the Connect app extends; prefixes every `connectModules` type. Default `jira`. */
  product?: Product;
  /** `app.runtime.name`, required by the manifest even without Forge functions. Default `nodejs24.x`. */
  runtime?: string;
  /** The key of the remote that holds the Connect `baseUrl`. Default `connect`, as Atlassian's converter uses. */
  remoteKey?: string;
  /**
   * Why Forge sends data to this backend. Default `storage` (the app stores issue notes: End-User Data),
   * `compute` (required for `invokeRemote`) and `fetch` (Forge functions may fetch from it).
   */
  operations?: RemoteOperation[];
  /** `storage.inScopeEUD` when `operations` has `storage`. Default true: notes are End-User Data. */
  storesEndUserData?: boolean;
  /** Ask Forge to send `x-forge-oauth-system` to the remote (adds `read:app-system-token`). Default true. */
  appSystemToken?: boolean;
  /** Ask Forge to send `x-forge-oauth-user` to the remote (adds `read:app-user-token`). Default false. */
  appUserToken?: boolean;
  /** Adds the `connectToForgeMigration` declaration: the https page of the migration plan, and the commitment. */
  migration?: { guideUrl: string; willMigrateToForgeBeforeEOS: MigrationCommitment };
}

/** Forge module keys (and so `connectModules` keys): https://developer.atlassian.com/platform/forge/manifest-reference/modules/ */
export const MODULE_KEY_PATTERN = /^[a-zA-Z0-9_-]+$/;

/**
 * The Connect scopes, and the names they take in a Forge manifest: lower case, `_` → `-`, then
 * `:connect-<product>` (READ → read:connect-jira, ACT_AS_USER → act-as-user:connect-jira).
 * https://developer.atlassian.com/cloud/jira/platform/scopes-for-connect-apps/
 */
export const CONNECT_SCOPES = ['READ', 'WRITE', 'DELETE', 'PROJECT_ADMIN', 'ADMIN', 'ACT_AS_USER', 'ACCESS_EMAIL_ADDRESSES'] as const;

/** The lifecycle module Atlassian's converter writes; the key is its choice too. */
export const LIFECYCLE_MODULE_KEY = 'lifecycle-events';

/** Descriptor fields the translation reads. */
const TRANSLATED_FIELDS = new Set(['key', 'baseUrl', 'scopes', 'lifecycle', 'modules', 'enableLicensing']);

/**
 * Descriptor fields with no place in a manifest, by design: `name`, `description`, `vendor` and `links`
 * live in the developer console and the Marketplace listing; `authentication` and `apiMigrations` describe
 * Connect's JWT handshake, which Forge keeps for Connect modules without a manifest field (the manifest
 * reference's `app.connect` has only `key` and `remote`); `apiVersion` is Connect versioning, "N/A in Forge".
 * https://developer.atlassian.com/platform/adopting-forge-from-connect/versioning-in-connect-vs-forge/
 */
const FIELDS_WITHOUT_EQUIVALENT = new Set(['name', 'description', 'vendor', 'links', 'authentication', 'apiMigrations', 'apiVersion']);

/**
 * Connect modules Atlassian's converter moves to native Forge modules instead of `connectModules`;
 * this generator leaves them to you rather than guessing the native fields.
 */
const NATIVE_ONLY_MODULES: Record<Product, Record<string, string>> = {
  jira: {
    jiraGlobalPermissions: 'jira:globalPermission',
    jiraProjectPermissions: 'jira:projectPermission',
  },
  confluence: {},
};

/**
 * Builds the Connect-on-Forge manifest for a descriptor (`renderDescriptor(appUrl)`). The remote's `baseUrl`
 * is `${APP_URL}` and the Connect key `${CONNECT_KEY}` (default: the descriptor's key, the production key).
 *
 * @example const { manifest, warnings } = translateDescriptor(renderDescriptor(appUrl), { appId });
 */
export function translateDescriptor(descriptor: Descriptor, options: ManifestOptions): ManifestTranslation {
  const product = options.product ?? 'jira';
  const remoteKey = options.remoteKey ?? 'connect';
  const operations = options.operations ?? ['storage', 'compute', 'fetch'];
  const appSystemToken = options.appSystemToken ?? true;
  const appUserToken = options.appUserToken ?? false;
  const warnings: ManifestWarning[] = [];
  const warn = (code: ManifestWarningCode, subject: string, message: string) => warnings.push({ code, subject, message });

  for (const field of Object.keys(descriptor)) {
    if (!TRANSLATED_FIELDS.has(field) && !FIELDS_WITHOUT_EQUIVALENT.has(field)) {
      warn('FIELD_NOT_CARRIED', field, `"${field}" is not translated; add its Forge equivalent to manifest.yml by hand (see the connect-to-forge converter).`);
    }
  }

  const connectModules: Record<string, ConnectModule[]> = {};
  const usedKeys = new Set<string>();
  const lifecycle = lifecycleModule(descriptor.lifecycle, warn);
  if (lifecycle) {
    connectModules[`${product}:lifecycle`] = [lifecycle];
    usedKeys.add(lifecycle.key);
  }

  for (const [type, value] of Object.entries(descriptor.modules ?? {})) {
    const subject = `modules.${type}`;
    const native = NATIVE_ONLY_MODULES[product][type];
    if (native) {
      warn('MODULE_NOT_CARRIED', subject, `${type} must become the native Forge module ${native} (modules:), which this generator does not write.`);
      continue;
    }
    const entries = Array.isArray(value) ? value : [value];
    const carried = type === 'webhooks' ? webhookModules(entries, subject, usedKeys, warn) : connectModuleEntries(entries, subject, usedKeys, warn);
    if (carried.length) connectModules[`${product}:${type}`] = carried;
  }

  const scopes: string[] = [];
  for (const scope of descriptor.scopes ?? []) {
    const name = `${scope.toLowerCase().replace(/_/g, '-')}:connect-${product}`;
    if (!(CONNECT_SCOPES as readonly string[]).includes(scope)) warn('SCOPE_NOT_CARRIED', `scopes.${scope}`, `"${scope}" is not a Connect scope, so it has no Forge name.`);
    else if (!scopes.includes(name)) scopes.push(name);
  }
  // "If an endpoint opts to enable remote system token access, the read:app-system-token scope must also be specified."
  if (appSystemToken) scopes.push('read:app-system-token');
  if (appUserToken) scopes.push('read:app-user-token');

  const remote: ForgeRemote = { key: remoteKey, baseUrl: `\${${APP_URL_VARIABLE}}` };
  if (operations.length) remote.operations = [...operations];
  if (operations.includes('storage')) remote.storage = { inScopeEUD: options.storesEndUserData ?? true };
  if (appSystemToken || appUserToken) {
    remote.auth = {};
    if (appSystemToken) remote.auth.appSystemToken = { enabled: true };
    if (appUserToken) remote.auth.appUserToken = { enabled: true };
  }

  const manifest: ForgeManifest = {
    app: {
      id: options.appId,
      connect: { key: `\${${CONNECT_KEY_VARIABLE}}`, remote: remoteKey },
      runtime: { name: options.runtime ?? 'nodejs24.x' },
    },
    remotes: [remote],
    permissions: { scopes },
    connectModules,
    environment: {
      // The production key as the default: a development environment gets its own key from forge:deploy.
      variables: [{ key: CONNECT_KEY_VARIABLE, default: descriptor.key }, APP_URL_VARIABLE],
    },
  };
  if (options.migration) {
    manifest.modules = {
      [MIGRATION_MODULE]: [{ key: MIGRATION_MODULE_KEY, migrationGuideUrl: options.migration.guideUrl, willMigrateToForgeBeforeEOS: options.migration.willMigrateToForgeBeforeEOS }],
    };
  }
  // A paid Connect app must stay paid on Forge and a free one free:
  // https://developer.atlassian.com/platform/adopting-forge-from-connect/limitations-and-differences/
  if (typeof descriptor.enableLicensing === 'boolean') manifest.app.licensing = { enabled: descriptor.enableLicensing };
  if (operations.includes('fetch')) manifest.permissions.external = { fetch: { backend: [{ remote: remoteKey }] } };
  return { manifest, warnings };
}

type Warn = (code: ManifestWarningCode, subject: string, message: string) => void;

/** Connect's `lifecycle` becomes one `<product>:lifecycle` module, as Atlassian's converter writes it. */
function lifecycleModule(lifecycle: Record<string, string> | undefined, warn: Warn): ConnectModule | undefined {
  if (!lifecycle || !Object.keys(lifecycle).length) return undefined;
  const module: ConnectModule = { key: LIFECYCLE_MODULE_KEY };
  for (const [event, url] of Object.entries(lifecycle)) {
    if (event === 'dare-migration') {
      warn('FIELD_NOT_CARRIED', 'lifecycle.dare-migration', 'Data residency migration becomes the migration:dataResidency Forge module, which this generator does not write.');
      continue;
    }
    module[event] = url;
  }
  // https://developer.atlassian.com/platform/adopting-forge-from-connect/limitations-and-differences/
  for (const event of ['enabled', 'disabled']) {
    if (event in module) warn('BEHAVIOUR_CHANGES', `lifecycle.${event}`, `Carried over, but once the app is registered on Forge Atlassian no longer sends the ${event} callback.`);
  }
  if ('installed' in module) {
    warn('BEHAVIOUR_CHANGES', 'lifecycle.installed', 'Carried over, but on Forge the installed callback is not sent for automatic (minor) updates.');
  }
  return module;
}

function connectModuleEntries(entries: unknown[], subject: string, usedKeys: Set<string>, warn: Warn): ConnectModule[] {
  const carried: ConnectModule[] = [];
  entries.forEach((entry, i) => {
    if (!isObject(entry)) {
      warn('MODULE_NOT_CARRIED', `${subject}[${i}]`, 'Not an object, so not a module.');
      return;
    }
    const key = entry.key;
    if (typeof key !== 'string' || !MODULE_KEY_PATTERN.test(key)) {
      warn('MODULE_NOT_CARRIED', `${subject}[${i}]`, 'Forge needs a module key of letters, digits, "-" and "_".');
      return;
    }
    if (usedKeys.has(key)) {
      warn('MODULE_NOT_CARRIED', `${subject}[${i}]`, `The key "${key}" is already used; module keys must be unique within the manifest.`);
      return;
    }
    usedKeys.add(key);
    carried.push(Object.assign({ key }, structuredClone(entry)));
  });
  return carried;
}

/**
 * Connect webhooks have no key and Forge modules need one. Keys are derived from the event rather than
 * numbered (the converter writes webhook-1, webhook-2…), so adding a webhook does not rename the others.
 */
function webhookModules(entries: unknown[], subject: string, usedKeys: Set<string>, warn: Warn): ConnectModule[] {
  const carried: ConnectModule[] = [];
  entries.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.event !== 'string' || !entry.event || typeof entry.url !== 'string' || !entry.url) {
      warn('MODULE_NOT_CARRIED', `${subject}[${i}]`, 'A webhook needs an "event" and a "url".');
      return;
    }
    const base = typeof entry.key === 'string' && MODULE_KEY_PATTERN.test(entry.key) ? entry.key : `webhook-${entry.event.replace(/[^a-zA-Z0-9_-]+/g, '-')}`;
    let key = base;
    for (let n = 2; usedKeys.has(key); n++) key = `${base}-${n}`;
    usedKeys.add(key);
    carried.push(Object.assign({ key }, structuredClone(entry), { key }));
  });
  return carried;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
