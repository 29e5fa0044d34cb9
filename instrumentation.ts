/**
 * Runs once when the server starts: configuration is checked here, so a missing or malformed variable
 * stops the server with a message naming it, before any request, instead of failing the first one.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { ConfigError, getConfig } = await import('./lib/config');
  const { getForgeConfig } = await import('./lib/forge/config');
  try {
    getConfig();
    // The Forge door's settings (FORGE_APP_ID, FORGE_JWKS_URL) too: a malformed app id must stop the
    // server here, not answer 500 to the first Forge invocation.
    getForgeConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Configuration error: ${err.message}`);
    process.exit(1);
  }
}
