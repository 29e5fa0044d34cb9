import { getConfig } from '../config';
import { createInstallKeyResolver, type InstallKeyResolver } from './install-token';

let resolver: InstallKeyResolver | undefined;

/** The process-wide install key resolver for CONNECT_INSTALL_KEYS_URL (keys cached for INSTALL_KEY_TTL_MS). */
export function installKeyResolver(): InstallKeyResolver {
  resolver ??= createInstallKeyResolver({ keysUrls: getConfig().installKeysUrls });
  return resolver;
}
