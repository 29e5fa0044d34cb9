/**
 * `npm run forge:deploy` and `npm run forge:install`: the Forge CLI loop for this app, wrapping the user's own
 * Forge CLI (`forge` on PATH, else `npx --no-install @forge/cli`). They set the two manifest variables from the
 * app's configuration, so the deployed app calls the backend that is running now:
 *
 *   APP_URL      the remote's baseUrl (`${APP_URL}` in the manifest): for the development environment, the
 *                same value `npm run dev` uses (the environment, then .env.development.local, .env.local,
 *                .env.development, .env, as `next dev` reads them; `npm run tunnel -- --write-env` puts the
 *                tunnel's URL there). Other environments take it only from the environment or --app-url.
 *   CONNECT_KEY  app.connect.key (`${CONNECT_KEY}`): one key per environment, as Atlassian's dev loop asks
 *                (https://developer.atlassian.com/platform/adopting-forge-from-connect/devloop/): --connect-key,
 *                else CONNECT_KEY, else the descriptor's key; production must keep the descriptor's key.
 *
 * The command's logic lives here over an injected environment and output; scripts/forge-cli.mjs hands it the
 * real process. Tests run it with a fake `forge` on PATH.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { findExecutable } from '../tunnel.mjs';
import { APP_KEY_PATTERN } from '../../lib/config';
import { isPublicHttpsUrl } from '../../lib/connect/hosts';
import { stripTrailingSlashes } from '../../lib/url.mjs';
import { DEFAULT_OUT as CONNECT_ON_FORGE_MANIFEST, nodeIO, type CommandIO } from './manifest-command';
import { UNREGISTERED_APP_ID, validateManifestFile } from './validate-manifest';

export const NATIVE_MANIFEST = 'forge/manifest.yml';
/** Where the last deployed remote baseUrl per app and environment is kept, to say when it changes. */
export const DEPLOYMENTS_FILE = '.data/forge-deployments.json';

const INSTALL_CLI = 'npm i -g @forge/cli';
const FORGE_LOGIN = 'forge login';

/** The process the command runs in: the same shape (and `nodeIO()`) as forge:manifest's. */
export type CliIO = CommandIO;
export { nodeIO };

export const USAGE = `Usage: npm run forge:deploy -- [options]
       npm run forge:install -- --site <your-site.atlassian.net> [options]

Deploys (forge deploy) or installs (forge install) the Forge app with APP_URL as its remote's baseUrl and
CONNECT_KEY as app.connect.key, through your Forge CLI.

  -e, --environment <name>  Forge environment (default: development)
  --manifest <file>         the manifest to deploy (default: ${CONNECT_ON_FORGE_MANIFEST} if it exists,
                            else ${NATIVE_MANIFEST})
  --app-url <url>           the remote's baseUrl (default: APP_URL; for development also from .env.local)
  --connect-key <key>       app.connect.key (default: CONNECT_KEY, else the descriptor's key)
  --site <site>             install: the site (default: ATLASSIAN_SITE), e.g. acme.atlassian.net
  --product <name>          install: jira or confluence (default: confluence for a /wiki site, else jira)
  --upgrade                 install: upgrade an existing installation (after a major version)
  -h, --help                show this help

A remote baseUrl change is a major version for Forge: each new tunnel URL means sites must upgrade.`;

class CliError extends Error {}
class UsageError extends Error {}

/**
 * Runs `deploy` or `install` and returns the exit code: Forge's own, or 1 for a problem found before Forge
 * ran (with one line naming the fix), 2 for bad arguments.
 *
 * @example process.exitCode = await runForgeCli('deploy', process.argv.slice(2), nodeIO());
 */
export async function runForgeCli(command: 'deploy' | 'install', argv: string[], io: CliIO): Promise<number> {
  try {
    return await run(command, argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.stderr(`Error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function run(command: 'deploy' | 'install', argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const environment = flags.environment ?? 'development';
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(environment)) throw new UsageError(`--environment must be a Forge environment name, not "${environment}".`);
  const config = { ...(environment === 'development' ? await developmentFiles(io.cwd) : {}), ...definedOnly(io.env) };

  const manifestFile = path.resolve(io.cwd, flags.manifest ?? (existsSync(path.join(io.cwd, CONNECT_ON_FORGE_MANIFEST)) ? CONNECT_ON_FORGE_MANIFEST : NATIVE_MANIFEST));
  const manifestName = path.relative(io.cwd, manifestFile) || manifestFile;
  if (!existsSync(manifestFile)) {
    throw new CliError(`${manifestName} does not exist: run npm run forge:manifest (Connect-on-Forge) or pass --manifest <file>.`);
  }
  const manifest = parseYaml(await readFile(manifestFile, 'utf8')) as { app?: { id?: string; connect?: unknown }; resources?: unknown[] };
  const appId = manifest?.app?.id;
  if (appId === UNREGISTERED_APP_ID) {
    throw new CliError(`${manifestName} has no Forge app yet: run forge register in ${path.dirname(manifestName)}, set FORGE_APP_ID to the id it prints, and run npm run forge:manifest -- --force.`);
  }

  const appUrl = publicAppUrl(flags['app-url'] ?? config.APP_URL, environment);
  const connectKey = connectKeyFor(environment, flags['connect-key'] ?? config.CONNECT_KEY, await descriptorKey(io.cwd), !!manifest?.app?.connect, io);

  // Custom UI resources are build output: build them first, so Forge uploads what the sources say.
  if (command === 'deploy' && Array.isArray(manifest?.resources) && manifest.resources.length && (await packageScripts(io.cwd))['forge:build']) {
    io.stdout('Building the Custom UI (npm run forge:build)\n');
    const built = await exec({ file: findExecutable(process.platform === 'win32' ? 'npm.cmd' : 'npm', io.env as NodeJS.ProcessEnv) ?? 'npm', prefix: [] }, ['run', 'forge:build'], { cwd: io.cwd, env: io.env });
    if (built !== 0) return built;
  }

  // Before anything reaches Atlassian: the manifest as Forge will read it, with these values.
  const vars = { APP_URL: appUrl, CONNECT_KEY: connectKey };
  const check = await validateManifestFile(manifestFile, { env: vars });
  if (check.errors.length) {
    throw new CliError(`${manifestName} is not valid with APP_URL=${appUrl}${connectKey ? ` CONNECT_KEY=${connectKey}` : ''}:\n${check.errors.map((e) => `- ${e}`).join('\n')}`);
  }

  const forge = await findForgeCli(io);
  await requireLogin(forge, io);

  const forgeEnv = { ...io.env, ...definedOnly(vars) };
  const cwd = path.dirname(manifestFile);
  if (command === 'deploy') {
    const previous = await lastDeployed(io.cwd, appId, environment);
    io.stdout(`Deploying ${manifestName} to ${environment}: remote baseUrl ${appUrl}${connectKey ? `, Connect key ${connectKey}` : ''}\n`);
    if (previous && previous !== appUrl) {
      io.stdout(`The remote baseUrl changes from ${previous} to ${appUrl}. Forge treats a remote baseUrl change as a major version: sites keep calling the old URL until the upgrade is accepted (npm run forge:install -- --upgrade on your development site; admins approve it on customer sites).\n`);
    }
    const code = await exec(forge, ['deploy', '--environment', environment], { cwd, env: forgeEnv });
    if (code === 0) {
      await recordDeployed(io.cwd, appId, environment, appUrl);
      if (!previous) io.stdout('Deployed. Next: npm run forge:install -- --site <your-site.atlassian.net>\n');
      else if (previous !== appUrl) io.stdout('Deployed. Installed sites keep the old URL until upgraded: npm run forge:install -- --upgrade --site <your-site.atlassian.net>\n');
      else io.stdout('Deployed. A minor version reaches installed sites by itself; a major one (new scopes, remotes or modules) needs npm run forge:install -- --upgrade.\n');
    }
    return code;
  }

  const site = parseSite(flags.site ?? config.ATLASSIAN_SITE);
  const product = flags.product ?? (new URL(site).pathname.startsWith('/wiki') ? 'confluence' : 'jira');
  if (product !== 'jira' && product !== 'confluence') throw new UsageError(`--product must be jira or confluence, not "${product}".`);
  // Interactive on purpose: Forge asks the installer to confirm the app's scopes.
  const args = ['install', '--site', new URL(site).host, '--product', product, '--environment', environment];
  if (flags.upgrade) args.push('--upgrade');
  io.stdout(`Installing ${environment} on ${site} (${product})\n`);
  return exec(forge, args, { cwd, env: forgeEnv });
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        environment: { type: 'string', short: 'e' },
        manifest: { type: 'string' },
        'app-url': { type: 'string' },
        'connect-key': { type: 'string' },
        site: { type: 'string' },
        product: { type: 'string' },
        upgrade: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The files `next dev` reads, in its order of precedence (the first to set a variable wins). */
async function developmentFiles(cwd: string): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const name of ['.env.development.local', '.env.local', '.env.development', '.env']) {
    const file = path.join(cwd, name);
    if (!existsSync(file)) continue;
    for (const [k, v] of Object.entries(parseEnv(await readFile(file, 'utf8')))) if (!(k in values) && v !== undefined) values[k] = v;
  }
  return values;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''));
}

/** Forge calls the remote from Atlassian's servers: https, on a host the internet can reach. */
function publicAppUrl(raw: string | undefined, environment: string): string {
  const fix = environment === 'development'
    ? 'start a tunnel with npm run tunnel -- --write-env (it writes APP_URL to .env.local), or pass --app-url https://…'
    : `pass --app-url with the https URL of the app that serves ${environment}`;
  if (!raw?.trim()) throw new CliError(`APP_URL is not set, and it becomes the remote's baseUrl: ${fix}.`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CliError(`APP_URL (${raw}) is not a URL: ${fix}.`);
  }
  if (!isPublicHttpsUrl(url.toString())) {
    throw new CliError(`APP_URL is ${url.origin}${url.search || url.hash || url.username ? ' with a query, fragment or credentials' : ''}, which Forge cannot call (it needs a plain public https URL): ${fix}.`);
  }
  return stripTrailingSlashes(url.toString());
}

/** One Connect key per environment; production must keep the Marketplace (descriptor) key, which Forge then locks. */
function connectKeyFor(environment: string, chosen: string | undefined, descriptor: string, usesConnect: boolean, io: CliIO): string | undefined {
  if (!usesConnect) return undefined;
  const key = chosen?.trim() || descriptor;
  if (!APP_KEY_PATTERN.test(key)) throw new CliError(`CONNECT_KEY (${key}) is not a Connect app key: letters, digits, "-", "." or "_", at most 64.`);
  if (environment === 'production' && key !== descriptor) {
    throw new CliError(`production must use the descriptor's key ${descriptor} (your existing Connect app), not ${key}: unset CONNECT_KEY for this deploy.`);
  }
  if (environment !== 'production' && key === descriptor) {
    io.stdout(`Note: ${environment} uses the production Connect key ${key}. A site holds one installation per Connect key, so give each environment its own: set CONNECT_KEY=${key}.${environment === 'development' ? 'dev' : environment} in .env.local, which the app (npm run dev) reads too.\n`);
  }
  return key;
}

async function packageScripts(cwd: string): Promise<Record<string, string>> {
  try {
    return (JSON.parse(await readFile(path.join(cwd, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  } catch {
    return {};
  }
}

async function descriptorKey(cwd: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(path.join(cwd, 'atlassian-connect.json'), 'utf8')) as { key: string }).key;
  } catch {
    throw new CliError('atlassian-connect.json cannot be read: run this from the app folder.');
  }
}

/** ATLASSIAN_SITE / --site: `acme`, `acme.atlassian.net` or `https://acme.atlassian.net` (Confluence: `…/wiki`). */
function parseSite(raw: string | undefined): string {
  if (!raw?.trim()) throw new CliError('Which site? Pass --site your-site.atlassian.net (or set ATLASSIAN_SITE in .env.local).');
  const value = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value.includes('.') ? value : `${value}.atlassian.net`}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`--site (${value}) is not a site: use e.g. your-site.atlassian.net.`);
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) throw new CliError(`--site must be an https site URL such as https://your-site.atlassian.net (got ${value}).`);
  return stripTrailingSlashes(`${url.origin}${url.pathname}`);
}

interface ForgeCommand {
  file: string;
  prefix: string[];
}

/** `forge` on PATH, else a Forge CLI npx already has (installed in the project or its cache; never downloaded). */
async function findForgeCli(io: CliIO): Promise<ForgeCommand> {
  const onPath = findExecutable('forge', io.env as NodeJS.ProcessEnv);
  if (onPath) return { file: onPath, prefix: [] };
  const npx = findExecutable(process.platform === 'win32' ? 'npx.cmd' : 'npx', io.env as NodeJS.ProcessEnv);
  if (npx) {
    const viaNpx = { file: npx, prefix: ['--no-install', '@forge/cli'] };
    if ((await capture(viaNpx, ['--version'], { cwd: io.cwd, env: io.env })).code === 0) return viaNpx;
  }
  throw new CliError(`the Forge CLI is not installed: ${INSTALL_CLI}, then ${FORGE_LOGIN} (https://developer.atlassian.com/platform/forge/getting-started/).`);
}

async function requireLogin(forge: ForgeCommand, io: CliIO): Promise<void> {
  const { code, output } = await capture(forge, ['whoami'], { cwd: io.cwd, env: io.env });
  if (code !== 0 || /not logged in|forge login/i.test(output)) {
    throw new CliError(`the Forge CLI is not logged in: run ${FORGE_LOGIN} (with an Atlassian API token), then run this again.`);
  }
}

function capture(forge: ForgeCommand, args: string[], options: { cwd: string; env: CliIO['env'] }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(forge.file, [...forge.prefix, ...args], { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', () => resolve({ code: 127, output }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Runs Forge with the terminal attached: it may ask questions (scopes, a major version) and shows progress. */
function exec(forge: ForgeCommand, args: string[], options: { cwd: string; env: CliIO['env'] }): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(forge.file, [...forge.prefix, ...args], { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function lastDeployed(cwd: string, appId: string | undefined, environment: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(cwd, DEPLOYMENTS_FILE), 'utf8')) as Record<string, string>)[`${appId} ${environment}`];
  } catch {
    return undefined;
  }
}

async function recordDeployed(cwd: string, appId: string | undefined, environment: string, appUrl: string): Promise<void> {
  const file = path.join(cwd, DEPLOYMENTS_FILE);
  let all: Record<string, string> = {};
  try {
    all = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // first deploy from this checkout
  }
  all[`${appId} ${environment}`] = appUrl;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(all, null, 2)}\n`);
}
