/**
 * The start-up check under Node.js (see instrumentation.ts): configuration is parsed here, so a missing or
 * malformed variable stops the server with a message naming it, before any request, instead of failing the
 * first one.
 */
import { ConfigError, getConfig } from './lib/config';

export function checkConfiguration(): void {
  try {
    getConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Configuration error: ${err.message}`);
    process.exit(1);
  }
}
