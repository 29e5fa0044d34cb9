/**
 * The start-up check under Node.js (see instrumentation.ts): configuration is parsed here, so a missing or
 * malformed variable stops the server with a message naming it, before any request, instead of failing the
 * first one.
 */
import { ConfigError, getConfig } from './lib/config';
import { getForgeConfig } from './lib/forge/config';

export function checkConfiguration(): void {
  try {
    getConfig();
    // The Forge door's settings (FORGE_APP_ID, FORGE_JWKS_URL) too: a malformed app id must stop the server
    // here, not answer 500 to the first Forge invocation.
    getForgeConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Configuration error: ${err.message}`);
    process.exit(1);
  }
}
