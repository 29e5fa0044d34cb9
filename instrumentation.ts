/**
 * Runs once when the server starts: configuration is checked here, so a missing or malformed variable
 * stops the server with a message naming it, before any request, instead of failing the first one.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { ConfigError, getConfig } = await import('./lib/config');
  try {
    getConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Configuration error: ${err.message}`);
    process.exit(1);
  }
}
