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
 * It also rebuilds the Forge Custom UI on every change (`npm run forge:build -- --watch`).
 *
 * `npm run dev -- --no-host` runs the app alone (e.g. behind a tunnel, installed in a real Atlassian
 * site). Other arguments go to `next dev`. Ctrl-C stops both; if either stops, so does the other, and the
 * script exits with its code.
 *
 * With ATLASSIAN_SITE, ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN set, the app runs alone (as --no-host: a real
 * site signs installs with Atlassian's keys, so nothing points at the simulator) and is installed into that
 * site from APP_URL, which must be public https (a tunnel: `npm run tunnel`); with
 * ATLASSIAN_UNINSTALL_ON_EXIT=1 it is uninstalled on Ctrl-C. See scripts/auto-install.mjs.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import nextEnv from '@next/env';
import { AutoInstallError, autoInstallSettings, developmentInstall } from './auto-install.mjs';
import { forgeAppId } from './forge-app-id.mjs';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const nextArgs = args.filter((a) => a !== '--no-host');

// The same files, in the same order, as `next dev`: so a value in .env.local is seen here too.
nextEnv.loadEnvConfig(root, true, { info: () => {}, error: console.error });

/** @type {import('./auto-install.d.mts').AutoInstallSettings | null} */
let site = null;
try {
  site = autoInstallSettings(process.env);
} catch (err) {
  if (!(err instanceof AutoInstallError)) throw err;
  console.error(`[dev] ${err.message}`);
  process.exit(1);
}
const withHost = !args.includes('--no-host') && !site;

// Mirrors DEFAULT_ALLOWED_HOSTS in lib/config.ts.
const ATLASSIAN_HOSTS = ['*.atlassian.net', '*.atlassian-dev.net', '*.jira.com', '*.jira-dev.com'];

const appPort = process.env.PORT || '3000';
const hostPort = process.env.HOST_PORT || '4000';
const hostUrl = (process.env.HOST_URL || `http://localhost:${hostPort}`).replace(/\/+$/, '');
const appUrl = (process.env.APP_URL || `http://localhost:${appPort}`).replace(/\/+$/, '');

/** @type {Record<string, string>} */
const filled = {};
if (withHost) {
  const defaults = {
    CONNECT_INSTALL_KEYS_URL: `${hostUrl}/install-keys`,
    CONNECT_OAUTH_URL: hostUrl,
    CONNECT_ALLOWED_HOSTS: [...ATLASSIAN_HOSTS, 'localhost', '127.0.0.1'].join(','),
    HOST_AUTO_INSTALL: 'acme',
    FORGE_APP_ID: forgeAppId(path.join(root, 'forge/manifest.yml')),
    FORGE_JWKS_URL: `${hostUrl}/forge/jwks.json`,
    HOST_FORGE_AUTO_INSTALL: 'acme',
  };
  for (const [name, value] of Object.entries(defaults)) {
    if (process.env[name] === undefined) filled[name] = value;
  }
  warnAboutOverrides();
} else if (site) {
  warnAboutSimulatorTrust();
}

const env = { ...process.env, ...filled };
const node = process.execPath;

const migrate = spawnSync(node, [path.join(root, 'scripts/db/migrate.mjs')], { cwd: root, env, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

if (Object.keys(filled).length) {
  console.log(`[dev] ${Object.entries(filled).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
if (site) {
  console.log(`[dev] ATLASSIAN_SITE is set: no simulator; the app will be installed into ${site.site} from ${site.descriptorUrl}.`);
}

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let stopping = false;
/** @type {number | null} */
let exitCode = null;
/** Work to finish before stopping the children (uninstalling from the site): set by the first signal. */
/** @type {Promise<void> | null} */
let shutdown = null;
// To uninstall on Ctrl-C, the app must outlive the terminal's SIGINT long enough to answer the site's
// `uninstalled` callback: it gets a process group of its own, and this script stops it afterwards.
const ownGroup = Boolean(site?.uninstallOnExit) && process.platform !== 'win32';

/** @param {string} name @param {string[]} childArgs @param {NodeJS.ProcessEnv} childEnv @param {boolean} [detached] */
function start(name, childArgs, childEnv, detached = false) {
  const child = spawn(node, childArgs, { cwd: root, env: childEnv, stdio: 'inherit', detached });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[dev] ${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest.`);
      exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
      Promise.resolve(shutdown).finally(() => process.exit(exitCode ?? 0));
    }
  });
}

/** @param {NodeJS.Signals} signal */
function stopAll(signal) {
  stopping = true;
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    try {
      // A detached child leads its own group: stop its workers with it.
      if (ownGroup && c.pid) process.kill(-c.pid, signal);
      else c.kill(signal);
    } catch {
      c.kill(signal);
    }
  }
}

for (const [signal, code] of /** @type {const} */ ([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]])) {
  process.on(signal, () => {
    exitCode ??= code;
    if (shutdown) {
      stopAll(signal); // a second Ctrl-C: stop now
      return;
    }
    stopping = true;
    shutdown = (install?.onExit() ?? Promise.resolve()).finally(() => stopAll(signal));
  });
}

start('next dev', [path.join(root, 'node_modules/next/dist/bin/next'), 'dev', ...nextArgs], env, ownGroup);
const install = site
  ? developmentInstall(site, {
    localUrl: `http://localhost:${appPort}`,
    log: (message) => console.log(`[dev] ${message}`),
    warn: (message) => console.warn(`[dev] ${message}`),
  })
  : null;
if (withHost) {
  start('the Forge Custom UI build', [path.join(root, 'scripts/forge-build.mjs'), '--watch'], env);
  start('the Connect host simulator', [path.join(root, 'host/cli.mjs')], {
    ...env,
    HOST_PORT: hostPort,
    HOST_URL: hostUrl,
    APP_URL: appUrl,
  });
}

/** With a real site: values that still point at the simulator, whose keys Atlassian's installs do not match. */
function warnAboutSimulatorTrust() {
  for (const name of ['CONNECT_INSTALL_KEYS_URL', 'CONNECT_OAUTH_URL']) {
    const value = process.env[name];
    if (value && /^http:\/\/(localhost|127\.)/.test(value)) {
      console.warn(`[dev] ${name} is ${value} (the simulator), but ATLASSIAN_SITE is set: installs from the site will be refused. Unset it.`);
    }
  }
}

/** Values the user set that will keep the simulator's installs from working. */
function warnAboutOverrides() {
  const keys = process.env.CONNECT_INSTALL_KEYS_URL;
  if (keys !== undefined && keys.replace(/\/+$/, '') !== `${hostUrl}/install-keys`) {
    console.warn(`[dev] CONNECT_INSTALL_KEYS_URL is ${keys}: the app will refuse installs signed by the simulator (its keys are at ${hostUrl}/install-keys).`);
  }
  const hosts = process.env.CONNECT_ALLOWED_HOSTS;
  const hostname = new URL(hostUrl).hostname;
  if (hosts !== undefined && !hosts.split(',').map((h) => h.trim().toLowerCase()).includes(hostname)) {
    console.warn(`[dev] CONNECT_ALLOWED_HOSTS (${hosts}) does not list ${hostname}: the app will refuse installs from the simulator.`);
  }
}
