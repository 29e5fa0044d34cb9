/**
 * The process-wide wiring of Forge Remote: the app id from configuration and one cached key set, so every
 * request shares the JWKS fetched once (and refetched by jose when keys rotate). Route handlers call
 * `forgeRemoteOptions()` and pass the result to `verifyForgeRequest`.
 */
import { ConnectError } from '../connect/errors';
import { getForgeConfig } from './config';
import { createForgeKeySet, type ForgeKeySet, type VerifyForgeInvocationTokenOptions } from './invocation-token';

let keySet: { jwksUrl: string; keys: ForgeKeySet } | undefined;

/**
 * Options for verifying this app's invocation tokens. Without FORGE_APP_ID the app is a plain Connect app
 * and Forge Remote endpoints do not exist (404), rather than accepting tokens for any audience.
 */
export function forgeRemoteOptions(): VerifyForgeInvocationTokenOptions {
  const { appId, jwksUrl } = getForgeConfig();
  if (!appId) throw new ConnectError('NOT_FOUND', 'Forge Remote is not enabled on this app.');
  if (keySet?.jwksUrl !== jwksUrl) keySet = { jwksUrl, keys: createForgeKeySet({ jwksUrl }) };
  return { appId, keys: keySet.keys };
}
