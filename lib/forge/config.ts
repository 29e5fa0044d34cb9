/**
 * Configuration of the Forge side of the app: which Forge app this backend serves (FORGE_APP_ID) and
 * where Atlassian publishes the keys that sign Forge Invocation Tokens (FORGE_JWKS_URL).
 *
 * Kept apart from lib/config.ts so a plain Connect deployment needs none of it: without FORGE_APP_ID the
 * Forge Remote endpoints answer 404 and everything else works as before. Same rules as lib/config.ts:
 * parsed once, from one place, and a bad value names its variable and the fix.
 */
import { ConfigError } from '../config';
import { envValue as value } from '../env.mjs';
import { isHttpsOrLoopbackHttp } from '../url.mjs';
import { FORGE_APP_ID_PATTERN } from './app-id.mjs';

export interface ForgeConfig {
  /** The Forge app id (`app.id` in manifest.yml), the `aud` every invocation token must carry. Unset: Forge Remote is off. */
  appId: string | undefined;
  /** Where the keys that sign Forge Invocation Tokens are published. */
  jwksUrl: string;
}

/**
 * The JWKS Atlassian's own Forge Remote samples verify invocation tokens against.
 * https://developer.atlassian.com/platform/forge/remote/essentials/#verifying-remote-requests
 */
export const DEFAULT_FORGE_JWKS_URL = 'https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json';

/** `ari:cloud:ecosystem::app/<uuid>` (lib/forge/app-id.mjs, shared with the simulator). */
export { FORGE_APP_ID_PATTERN };

type Env = Record<string, string | undefined>;

/**
 * Parses the Forge configuration from an environment.
 *
 * @example parseForgeConfig({ FORGE_APP_ID: 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a' })
 */
export function parseForgeConfig(env: Env = process.env): ForgeConfig {
  const appId = value(env, 'FORGE_APP_ID');
  return {
    appId: appId === undefined ? undefined : parseForgeAppId(appId, 'FORGE_APP_ID'),
    jwksUrl: parseJwksUrl(value(env, 'FORGE_JWKS_URL') ?? DEFAULT_FORGE_JWKS_URL),
  };
}

let cached: ForgeConfig | undefined;

/** The process's Forge configuration, parsed on first use. */
export function getForgeConfig(): ForgeConfig {
  cached ??= parseForgeConfig();
  return cached;
}

/** Checks a Forge app id; `source` names where it came from (a variable or a flag) in the error. */
export function parseForgeAppId(raw: string, source: string): string {
  const id = raw.trim();
  if (!FORGE_APP_ID_PATTERN.test(id)) {
    throw new ConfigError(source, 'must be a Forge app id like ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a: run `forge register` and copy app.id from the manifest it writes.');
  }
  return id;
}

function parseJwksUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('FORGE_JWKS_URL', 'is not a valid URL.');
  }
  // Whoever serves this document decides which tokens are genuine: the app's one transport rule for trusted
  // servers (lib/url.mjs), as for CONNECT_INSTALL_KEYS_URL: https, or http on this machine (the simulator,
  // also in front of a production build, as the end-to-end tests run it).
  if (!isHttpsOrLoopbackHttp(url)) {
    throw new ConfigError('FORGE_JWKS_URL', `must be an https URL (default ${DEFAULT_FORGE_JWKS_URL}).`);
  }
  return url.toString();
}
