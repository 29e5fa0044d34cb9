/**
 * `npm run forge:manifest`: writes the Connect-on-Forge manifest.yml from atlassian-connect.json.
 *
 *   npm run forge:manifest -- --app-id ari:cloud:ecosystem::app/<uuid> --base-url https://notes.example.com
 *   npm run forge:manifest -- --help
 *
 * The command itself is scripts/forge/manifest-command.ts. Node 20 cannot run TypeScript, so this script first
 * registers forge-manifest-loader.mjs, which compiles the project's .ts files with its own TypeScript.
 */
import { register } from 'node:module';

register('./forge-manifest-loader.mjs', import.meta.url);

const { runForgeManifestCommand, nodeIO } = await import('./forge/manifest-command.ts');
process.exitCode = await runForgeManifestCommand(process.argv.slice(2), nodeIO());
