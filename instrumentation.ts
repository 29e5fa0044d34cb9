/**
 * Runs once when the server starts. Next compiles this file for the Edge runtime too, where Node's APIs
 * (process.exit, fs, crypto) do not exist and draw a warning on every compile; so the Node-only start-up
 * check lives in instrumentation-node.ts, imported only under the Node.js runtime, the pattern Next documents:
 * https://nextjs.org/docs/app/guides/instrumentation#importing-runtime-specific-code
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { checkConfiguration } = await import('./instrumentation-node');
    checkConfiguration();
  }
}
