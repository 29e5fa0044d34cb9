/**
 * The app's configuration, parsed and validated in one place. Everything else imports `getConfig()`,
 * never `process.env`, so a missing or malformed variable is reported once, by name, with a fix.
 *
 * In development and tests every variable has a working default (local URL, SQLite file, a generated
 * encryption key kept beside the database); in production the ones that protect customer data are required.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ALLOWED_HOSTS } from './connect/allowed-hosts.mjs';
import { APP_KEY_PATTERN } from './connect/app-key.mjs';
import { databaseDialect, DEFAULT_DEV_DATABASE_URL, UNKNOWN_DIALECT_PROBLEM } from './db/database-url.mjs';
import { envValue as value } from './env.mjs';
import { isHttpsOrLoopbackHttp, stripTrailingSlashes } from './url.mjs';

export interface EncryptionKey {
  /** Short fingerprint of the key, stored beside each ciphertext so old keys can still decrypt after rotation. */
  id: string;
  key: Buffer;
}

export interface Config {
  production: boolean;
  /** Public base URL of the app, no trailing slash. The descriptor's `baseUrl` and the `aud` of signed installs. */
  appUrl: string;
  databaseUrl: string;
  /** The key new secrets are encrypted with. */
  encryptionKey: EncryptionKey;
  /** Older keys still accepted for decryption (ENCRYPTION_KEYS_PREVIOUS), newest first. */
  previousEncryptionKeys: EncryptionKey[];
  /** Install key servers, tried in order (CONNECT_INSTALL_KEYS_URL, comma-separated); Atlassian's two by default. */
  installKeysUrls: string[];
  oauthUrl: string;
  /** Host patterns (`example.com` or `*.example.com`) the app accepts installs from. */
  allowedHosts: string[];
  /**
   * CONNECT_KEY: the Connect app key this deployment answers to when it differs from atlassian-connect.json's
   * `key` (a Forge development or staging environment registers its own key; production keeps the
   * descriptor's). Unset: the descriptor's key.
   */
  connectKey: string | undefined;
  /**
   * LICENSE_REQUIRED=true: a site whose license the platform reports inactive may read but not write
   * (403 LICENSE_REQUIRED; lib/sites/caller.ts). Off by default: a free listing has no license to check.
   */
  licenseRequired: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export { APP_KEY_PATTERN, DEFAULT_ALLOWED_HOSTS, DEFAULT_DEV_DATABASE_URL };

/**
 * Atlassian's install key servers, in the order atlassian-connect-express 11.5.0 tries them for a production
 * site: the ASAP key distribution first, the older CDN as its fallback. Both serve `GET /<kid>` → PEM.
 */
export const ATLASSIAN_INSTALL_KEY_SERVERS = [
  'https://asap-distribution.us-west-2.prod.atl-asap.net',
  'https://connect-install-keys.atlassian.com',
] as const;
const DEV_KEY_FILE = '.data/dev-encryption.key';

type Env = Record<string, string | undefined>;

/**
 * Parses configuration from an environment. Pure apart from one development convenience: without
 * `ENCRYPTION_KEY`, outside production, a key is generated once and kept in `.data/` under `cwd`.
 *
 * @example parseConfig({ NODE_ENV: 'production', APP_URL: 'https://notes.example.com', ... })
 */
export function parseConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const production = env.NODE_ENV === 'production';
  const databaseUrl = value(env, 'DATABASE_URL') ?? devDefault(production, 'DATABASE_URL', DEFAULT_DEV_DATABASE_URL,
    'set it to your PostgreSQL connection string, e.g. postgresql://user:pass@host:5432/db');
  const encryptionKey = parseKey('ENCRYPTION_KEY', value(env, 'ENCRYPTION_KEY') ?? devKey(production, cwd));
  const appUrl = parseAppUrl(env, production);
  if (!databaseDialect(databaseUrl)) throw new ConfigError('DATABASE_URL', UNKNOWN_DIALECT_PROBLEM);
  return {
    production,
    appUrl,
    databaseUrl,
    encryptionKey,
    previousEncryptionKeys: list(value(env, 'ENCRYPTION_KEYS_PREVIOUS')).map((k) => parseKey('ENCRYPTION_KEYS_PREVIOUS', k)),
    installKeysUrls: parseInstallKeysUrls(value(env, 'CONNECT_INSTALL_KEYS_URL')),
    oauthUrl: parseServiceUrl('CONNECT_OAUTH_URL', value(env, 'CONNECT_OAUTH_URL') ?? 'https://oauth-2-authorization-server.services.atlassian.com'),
    allowedHosts: parseHostPatterns(value(env, 'CONNECT_ALLOWED_HOSTS')),
    connectKey: parseConnectKey(value(env, 'CONNECT_KEY')),
    licenseRequired: parseFlag('LICENSE_REQUIRED', value(env, 'LICENSE_REQUIRED')),
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function getConfig(): Config {
  cached ??= parseConfig();
  return cached;
}

function list(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function devDefault(production: boolean, name: string, fallback: string, fix: string): string {
  if (production) throw new ConfigError(name, `is required in production: ${fix}.`);
  return fallback;
}

/** `true` or `false` (unset: false); anything else is a typo that would silently leave a check off. */
function parseFlag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(name, 'must be true or false.');
}

function parseConnectKey(raw: string | undefined): string | undefined {
  if (raw !== undefined && !APP_KEY_PATTERN.test(raw)) throw new ConfigError('CONNECT_KEY', 'must be 1-64 letters, digits, "-", "." or "_" (a Connect app key).');
  return raw;
}

/** CONNECT_INSTALL_KEYS_URL: one or more key servers, comma-separated, each https (http only on loopback). */
function parseInstallKeysUrls(raw: string | undefined): string[] {
  const urls = raw === undefined ? [...ATLASSIAN_INSTALL_KEY_SERVERS] : list(raw);
  if (!urls.length) throw new ConfigError('CONNECT_INSTALL_KEYS_URL', 'names no URL.');
  return urls.map((url) => parseServiceUrl('CONNECT_INSTALL_KEYS_URL', url));
}

function parseAppUrl(env: Env, production: boolean): string {
  const explicit = value(env, 'APP_URL');
  // VERCEL_PROJECT_PRODUCTION_URL is stable across deployments; VERCEL_URL changes on every deploy
  // and would break every installed tenant, so it is never used.
  const vercel = value(env, 'VERCEL_PROJECT_PRODUCTION_URL');
  const raw = explicit ?? (vercel ? `https://${vercel}` : undefined)
    ?? devDefault(production, 'APP_URL', `http://localhost:${value(env, 'PORT') ?? '3000'}`,
      'set it to the public https URL of the app, e.g. https://notes.example.com');
  const url = parseHttpUrl('APP_URL', raw);
  if (production && !isHttpsOrLoopbackHttp(new URL(url))) {
    throw new ConfigError('APP_URL', 'must be an https URL in production (Atlassian only installs apps served over https).');
  }
  return url;
}

function parseHttpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL.');
  if (url.search || url.hash) throw new ConfigError(name, 'must not have a query string or fragment.');
  return stripTrailingSlashes(url.toString());
}

/**
 * A service the app trusts with its security (the install-key server decides which installs are genuine;
 * the OAuth server mints user tokens): https, or plain http only on this machine (the local simulator).
 */
function parseServiceUrl(name: string, raw: string): string {
  const url = parseHttpUrl(name, raw);
  if (!isHttpsOrLoopbackHttp(new URL(url))) {
    throw new ConfigError(name, 'must be an https URL (plain http only for a server on this machine, such as the local simulator).');
  }
  return url;
}

function parseHostPatterns(raw: string | undefined): string[] {
  if (!raw) return DEFAULT_ALLOWED_HOSTS;
  const patterns = list(raw).map((p) => p.toLowerCase());
  for (const p of patterns) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(p)) {
      throw new ConfigError('CONNECT_ALLOWED_HOSTS', `has an invalid host pattern "${p}": use host names like example.com or *.example.com, comma-separated.`);
    }
  }
  return patterns;
}

function parseKey(name: string, base64: string): EncryptionKey {
  const key = Buffer.from(base64, 'base64');
  // Round-tripping rejects lax input (whitespace, base64url, truncation) that Buffer.from would quietly accept.
  if (key.length !== 32 || key.toString('base64') !== base64) {
    throw new ConfigError(name, 'must be 32 random bytes in base64: generate one with `openssl rand -base64 32`.');
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

function devKey(production: boolean, cwd: string): string {
  devDefault(production, 'ENCRYPTION_KEY', '', 'generate one with `openssl rand -base64 32`');
  const file = path.join(cwd, DEV_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    // 'wx' fails if another process created it first; then that process's key wins.
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}
