/**
 * `npm run forge:deploy` / `npm run forge:install`: the Forge CLI loop with APP_URL and CONNECT_KEY set from the
 * app's configuration.
 *
 *   npm run forge:deploy                                   # development, remote = APP_URL (e.g. the tunnel)
 *   npm run forge:install -- --site your-site.atlassian.net
 *   npm run forge:deploy -- --help
 *
 * The command itself is scripts/forge/cli.ts, loaded through forge-manifest-loader.mjs (Node 20 runs no TypeScript).
 */
import { register } from 'node:module';

register('./forge-manifest-loader.mjs', import.meta.url);

const [command, ...args] = process.argv.slice(2);
if (command !== 'deploy' && command !== 'install') {
  console.error('Usage: node scripts/forge-cli.mjs deploy|install [options]');
  process.exit(2);
}
const { runForgeCli, cliNodeIO } = await import('./forge/cli.ts');
process.exitCode = await runForgeCli(command, args, cliNodeIO());
