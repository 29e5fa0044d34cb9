/**
 * One manifest for a migrating app: the generated Connect-on-Forge manifest plus the Forge-native modules of
 * a hand-written manifest (forge/manifest.yml), so the app that Atlassian installs carries both doors while
 * the Connect modules are replaced one by one. Pure: two manifests in, one manifest and warnings out.
 *
 * Both halves call the same backend, so a native remote whose `baseUrl` is the generated one's (`${APP_URL}`)
 * becomes the Connect remote too (`app.connect.remote`), with the union of their operations and tokens.
 */
import path from 'node:path';
import { MIGRATION_MODULE, type ForgeManifest, type ForgeRemote, type ManifestVariable, type ManifestWarning } from './manifest';

export interface MergeOptions {
  /** Folder of the native manifest, and of the merged one: resource paths are rewritten between them. */
  nativeDir: string;
  outDir: string;
}

type Native = Record<string, unknown> & {
  app?: { id?: unknown };
  modules?: Record<string, unknown>;
  resources?: unknown;
  remotes?: unknown;
  permissions?: { scopes?: unknown; external?: Record<string, unknown>; content?: unknown };
  environment?: { variables?: unknown };
};

/** Top-level properties taken from the native manifest as they are (nothing in the generated half). */
const NATIVE_ONLY = ['providers', 'translations', 'services'] as const;

/**
 * Adds a native manifest's modules, resources, remotes, scopes, egress and variables to a generated
 * Connect-on-Forge manifest. The generated `app` (id, Connect key) wins; a different native `app.id` is a
 * warning, since one app has one id.
 *
 * @example const { manifest } = mergeNativeManifest(generated, parse(readFileSync('forge/manifest.yml', 'utf8')), { nativeDir: 'forge', outDir: 'forge/connect-on-forge' })
 */
export function mergeNativeManifest(generated: ForgeManifest, native: Native, options: MergeOptions): { manifest: ForgeManifest; warnings: ManifestWarning[] } {
  const manifest = structuredClone(generated);
  const warnings: ManifestWarning[] = [];
  const warn = (subject: string, message: string) => warnings.push({ code: 'MODULE_NOT_CARRIED', subject: `native.${subject}`, message });

  if (typeof native.app?.id === 'string' && native.app.id !== manifest.app.id) {
    warnings.push({ code: 'BEHAVIOUR_CHANGES', subject: 'native.app.id', message: `The native manifest's app.id (${native.app.id}) is not ${manifest.app.id}; the merged manifest uses ${manifest.app.id}.` });
  }

  // Remotes: a native remote on the same baseUrl is the same backend, so it also carries the Connect modules.
  const connectRemote = manifest.remotes[0];
  const nativeRemotes = Array.isArray(native.remotes) ? (structuredClone(native.remotes) as ForgeRemote[]) : [];
  const same = nativeRemotes.find((r) => r?.baseUrl === connectRemote.baseUrl);
  if (same) {
    same.operations = union(same.operations, connectRemote.operations);
    if (connectRemote.storage && !same.storage) same.storage = connectRemote.storage;
    if (connectRemote.auth) same.auth = { ...connectRemote.auth, ...same.auth };
    manifest.app.connect.remote = same.key;
    for (const entry of manifest.permissions.external?.fetch?.backend ?? []) {
      if (typeof entry === 'object' && 'remote' in entry && entry.remote === connectRemote.key) entry.remote = same.key;
    }
    manifest.remotes = nativeRemotes;
  } else {
    manifest.remotes = [connectRemote, ...nativeRemotes];
  }

  // Keys this generator chose itself (the Connect lifecycle module's) give way to a native module's key;
  // keys from the descriptor are the app's own, so a clash there is left for @forge/manifest to report.
  const nativeKeys = new Set(Object.values(native.modules ?? {}).flatMap((list) => (Array.isArray(list) ? list.map((m) => (m as { key?: unknown })?.key) : [])));
  for (const [type, list] of Object.entries(manifest.connectModules)) {
    if (!type.endsWith(':lifecycle')) continue;
    for (const module of list) {
      if (!nativeKeys.has(module.key)) continue;
      const renamed = `connect-${module.key}`;
      warnings.push({ code: 'BEHAVIOUR_CHANGES', subject: `connectModules.${type}`, message: `The native manifest uses the key "${module.key}", so the Connect lifecycle module is "${renamed}".` });
      module.key = renamed;
    }
  }

  const modules: Record<string, Record<string, unknown>[]> = { ...manifest.modules };
  for (const [type, list] of Object.entries(native.modules ?? {})) {
    if (!Array.isArray(list)) {
      warn(`modules.${type}`, 'Not a list of modules; left out.');
      continue;
    }
    // The generated migration declaration wins over a native one: it is the one the command was asked for.
    if (type === MIGRATION_MODULE && modules[type]) continue;
    modules[type] = [...(modules[type] ?? []), ...(structuredClone(list) as Record<string, unknown>[])];
  }
  if (Object.keys(modules).length) manifest.modules = modules;

  if (Array.isArray(native.resources)) {
    const rebase = (p: string) => path.relative(options.outDir, path.resolve(options.nativeDir, p)).split(path.sep).join('/') || '.';
    manifest.resources = (structuredClone(native.resources) as ForgeManifest['resources'] & object).map((r) => (typeof r?.path === 'string' ? { ...r, path: rebase(r.path) } : r));
  }

  const nativeScopes = Array.isArray(native.permissions?.scopes) ? (native.permissions.scopes as string[]) : [];
  manifest.permissions.scopes = union(manifest.permissions.scopes, nativeScopes) ?? [];
  const nativeExternal = native.permissions?.external;
  if (nativeExternal) manifest.permissions.external = mergeExternal(manifest.permissions.external ?? {}, nativeExternal);
  if (native.permissions?.content !== undefined) (manifest.permissions as Record<string, unknown>).content = structuredClone(native.permissions.content);

  const nativeVariables = Array.isArray(native.environment?.variables) ? (native.environment.variables as ManifestVariable[]) : [];
  const name = (v: ManifestVariable) => (typeof v === 'string' ? v : v.key);
  const known = new Set(manifest.environment.variables.map(name));
  for (const v of nativeVariables) if (!known.has(name(v))) manifest.environment.variables.push(structuredClone(v));

  for (const key of NATIVE_ONLY) if (native[key] !== undefined) (manifest as unknown as Record<string, unknown>)[key] = structuredClone(native[key]);
  return { manifest, warnings };
}

function union<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  if (!a && !b) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}

/** `permissions.external`: per kind (fetch, images, …) and per list (backend, client), the union of entries. */
function mergeExternal(generated: Record<string, unknown>, native: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(generated);
  for (const [kind, value] of Object.entries(native)) {
    if (Array.isArray(value)) {
      out[kind] = dedupe([...((out[kind] as unknown[]) ?? []), ...structuredClone(value)]);
    } else if (value && typeof value === 'object') {
      const merged = { ...(out[kind] as Record<string, unknown[]>) };
      for (const [list, entries] of Object.entries(value as Record<string, unknown[]>)) merged[list] = dedupe([...(merged[list] ?? []), ...structuredClone(entries)]);
      out[kind] = merged;
    }
  }
  return out;
}

function dedupe(entries: unknown[]): unknown[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const k = JSON.stringify(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
