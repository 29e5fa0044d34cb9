import { getConfig } from '../config';
import { createInstallKeyResolver, type InstallKeyResolver } from './install-token';

let resolver: InstallKeyResolver | undefined;

/** The process-wide install key resolver for CONNECT_INSTALL_KEYS_URL (its cache lives as long as the process). */
export function installKeyResolver(): InstallKeyResolver {
  resolver ??= createInstallKeyResolver({ keysUrl: getConfig().installKeysUrl });
  return resolver;
}
