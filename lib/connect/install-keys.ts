import { getConfig } from '../config';
import { createInstallKeyResolver, type InstallKeyResolver } from './install-token';

let resolver: InstallKeyResolver | undefined;

/**
 * The process-wide install key resolver for CONNECT_INSTALL_KEYS_URL: keys cached for INSTALL_KEY_TTL_MS,
 * unknown kids remembered for UNKNOWN_KID_TTL_MS, lookups of never-seen kids budgeted (install-token.ts).
 */
export function installKeyResolver(): InstallKeyResolver {
  resolver ??= createInstallKeyResolver({ keysUrls: getConfig().installKeysUrls });
  return resolver;
}
