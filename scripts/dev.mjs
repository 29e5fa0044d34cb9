/**
 * `npm run dev`: migrates the development database, then runs the app (`next dev`) and the Connect host
 * simulator (host/) side by side, wired to each other:
 *
 *   app        http://localhost:$PORT (3000), trusting the simulator for install keys and user tokens
 *   simulator  http://localhost:$HOST_PORT (4000), installing the app into its site "acme" once it answers
 *
 * Variables you set (in the environment or .env files, read the way `next dev` reads them) win; the
 * script only fills in what is unset:
 *   CONNECT_INSTALL_KEYS_URL  $HOST_URL/install-keys
 *   CONNECT_OAUTH_URL         $HOST_URL
 *   CONNECT_ALLOWED_HOSTS     Atlassian's hosts plus localhost and 127.0.0.1
 *   HOST_AUTO_INSTALL         acme (set it empty to install by hand from the dashboard)
 *   FORGE_APP_ID              app.id of forge/manifest.yml (the sample's Forge app)
 *   FORGE_JWKS_URL            $HOST_URL/forge/jwks.json (the simulator signs the Forge Invocation Tokens)
 *   HOST_FORGE_AUTO_INSTALL   acme: once the Connect app is installed there, the simulator upgrades it to
 *                             Forge, so the issue view shows both doors (Connect panel, Forge panel) on the
 *                             same site's notes
 *
 * It also rebuilds the browser side of both doors on every change (`npm run ui:build -- --watch`): the Connect
 * iframe pages the app serves and the Forge Custom UI the simulator hosts.
 *
 * `npm run dev -- --no-host` runs the app alone (e.g. behind a tunnel, as the backend of a Forge app on a
 * real site). Other arguments go to `next dev`. Ctrl-C stops both; if either stops, so does the other, and the
 * script exits with its code.
 *
 * A real site no longer installs a Connect app from its descriptor URL (Atlassian removed that on 30 March
 * 2026, Forge changelog CHANGE-3096), so nothing here installs into one: `npm run forge:deploy` and
 * `npm run forge:install` do it through the Forge CLI (docs/forge.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import nextEnv from '@next/env';
import { DEFAULT_ALLOWED_HOSTS } from '../lib/connect/allowed-hosts.mjs';
import { stripTrailingSlashes } from '../lib/url.mjs';
import { forgeAppId } from './forge-app-id.mjs';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const nextArgs = args.filter((a) => a !== '--no-host');

// The same files, in the same order, as `next dev`: so a value in .env.local is seen here too.
nextEnv.loadEnvConfig(root, true, { info: () => {}, error: console.error });

const withHost = !args.includes('--no-host');
if (process.env.ATLASSIAN_API_TOKEN) {
  console.warn('[dev] ATLASSIAN_API_TOKEN is set, but npm run dev no longer installs into a real site (Atlassian stopped descriptor-URL installs of private Connect apps on 30 March 2026): use npm run forge:deploy and npm run forge:install (docs/forge.md), and remove ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN.');
}

const appPort = process.env.PORT || '3000';
const hostPort = process.env.HOST_PORT || '4000';
const hostUrl = stripTrailingSlashes(process.env.HOST_URL || `http://localhost:${hostPort}`);
const appUrl = stripTrailingSlashes(process.env.APP_URL || `http://localhost:${appPort}`);

/** @type {Record<string, string>} */
const filled = {};
if (withHost) {
  const defaults = {
    CONNECT_INSTALL_KEYS_URL: `${hostUrl}/install-keys`,
    CONNECT_OAUTH_URL: hostUrl,
    CONNECT_ALLOWED_HOSTS: [...DEFAULT_ALLOWED_HOSTS, 'localhost', '127.0.0.1'].join(','),
    HOST_AUTO_INSTALL: 'acme',
    FORGE_APP_ID: forgeAppId(path.join(root, 'forge/manifest.yml')),
    FORGE_JWKS_URL: `${hostUrl}/forge/jwks.json`,
    HOST_FORGE_AUTO_INSTALL: 'acme',
  };
  for (const [name, value] of Object.entries(defaults)) {
    if (process.env[name] === undefined) filled[name] = value;
  }
  warnAboutOverrides();
}

const env = { ...process.env, ...filled };
const node = process.execPath;

const migrate = spawnSync(node, [path.join(root, 'scripts/db/migrate.mjs')], { cwd: root, env, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

if (Object.keys(filled).length) {
  console.log(`[dev] ${Object.entries(filled).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let stopping = false;
/** @type {number | null} */
let exitCode = null;

/** @param {string} name @param {string[]} childArgs @param {NodeJS.ProcessEnv} childEnv */
function start(name, childArgs, childEnv) {
  const child = spawn(node, childArgs, { cwd: root, env: childEnv, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[dev] ${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest.`);
      exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode ?? 0);
  });
}

/** @param {NodeJS.Signals} signal */
function stopAll(signal) {
  stopping = true;
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    c.kill(signal);
  }
}

for (const [signal, code] of /** @type {const} */ ([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]])) {
  process.on(signal, () => {
    exitCode ??= code;
    stopAll(signal);
  });
}

start('next dev', [path.join(root, 'node_modules/next/dist/bin/next'), 'dev', ...nextArgs], env);
// The iframe pages load their bundles from public/ui/connect/, with or without the simulator.
start('the UI build', [path.join(root, 'scripts/ui-build.mjs'), '--watch'], env);
if (withHost) {
  start('the Connect host simulator', [path.join(root, 'host/cli.mjs')], {
    ...env,
    HOST_PORT: hostPort,
    HOST_URL: hostUrl,
    APP_URL: appUrl,
  });
}

/** Values the user set that will keep the simulator's installs from working. */
function warnAboutOverrides() {
  const keys = process.env.CONNECT_INSTALL_KEYS_URL;
  if (keys !== undefined && stripTrailingSlashes(keys) !== `${hostUrl}/install-keys`) {
    console.warn(`[dev] CONNECT_INSTALL_KEYS_URL is ${keys}: the app will refuse installs signed by the simulator (its keys are at ${hostUrl}/install-keys).`);
  }
  const hosts = process.env.CONNECT_ALLOWED_HOSTS;
  const hostname = new URL(hostUrl).hostname;
  if (hosts !== undefined && !hosts.split(',').map((h) => h.trim().toLowerCase()).includes(hostname)) {
    console.warn(`[dev] CONNECT_ALLOWED_HOSTS (${hosts}) does not list ${hostname}: the app will refuse installs from the simulator.`);
  }
}
