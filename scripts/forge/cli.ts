/**
 * `npm run forge:deploy` and `npm run forge:install`: the Forge CLI loop for this app, wrapping the user's own
 * Forge CLI (`forge` on PATH, else `npx --no-install @forge/cli`). They set the two manifest variables from the
 * app's configuration, so the deployed app calls the backend that is running now:
 *
 *   APP_URL      the remote's baseUrl (`${APP_URL}` in the manifest): for a development environment, the
 *                same value `npm run dev` uses (the environment, then .env.development.local, .env.local,
 *                .env.development, .env, as `next dev` reads them; `npm run tunnel -- --write-env` puts the
 *                tunnel's URL there). Other environments take it only from the environment or --app-url.
 *   CONNECT_KEY  app.connect.key (`${CONNECT_KEY}`): one key per environment, as Atlassian's dev loop asks
 *                (https://developer.atlassian.com/platform/adopting-forge-from-connect/devloop/): --connect-key,
 *                else CONNECT_KEY, else the descriptor's key; production must keep the descriptor's key.
 *
 * It speaks the grammar of the Forge CLI 13.x (read from @forge/cli 13.3.0 and the @forge/cli-shared 9.3.0 it
 * pins; the texts it recognises are quoted, with their files, in test/forge/cli.test.ts):
 *   - forge reads ./manifest.yml of the folder it runs in, so it runs in the folder of the manifest checked here;
 *   - no -e means the developer's own default environment, as forge decides it (no --environment passed on);
 *   - everything after `--` reaches forge unchanged (--approve, --no-verify, --major-version, --non-interactive…);
 *   - forge's output passes through and is read: a failure forge reports with exit code 0 (forge install before
 *     any deploy) still fails here, and the linter's approval block, a logged-out or unreachable CLI and the
 *     first-run analytics question each get one line saying what to do.
 *
 * The command's logic lives here over an injected environment and output; scripts/forge-cli.mjs hands it the
 * real process. Tests run it with a fake `forge` on PATH.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, parseEnv, stripVTControlCharacters } from 'node:util';
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

/**
 * The process the command runs in: forge:manifest's shape, plus whether a person can answer forge's questions
 * (stdin is a terminal) and whether forge's colours would reach a terminal.
 */
export interface CliIO extends CommandIO {
  interactive?: boolean;
  color?: boolean;
}

/** The real process, for scripts/forge-cli.mjs. */
export function cliNodeIO(): CliIO {
  return { ...nodeIO(), interactive: Boolean(process.stdin.isTTY), color: Boolean(process.stdout.isTTY) };
}

/** Forge's environment names (@forge/cli out/command-line/environment.js ENVIRONMENT_KEY_PATTERN). */
export const ENVIRONMENT_NAME = /^[a-zA-Z0-9-_]+$/;
/** The only environments that are not development ones (@forge/cli-shared out/shared/environment.js). */
const NOT_DEVELOPMENT = ['staging', 'production'];
const API_TOKENS = 'https://id.atlassian.com/manage-profile/security/api-tokens';
const FORGE_NODE = 'the Forge CLI supports Node.js 22 and 24 (the app itself runs on 20.19+)';

export const USAGE = `Usage: npm run forge:deploy -- [options] [-- <forge deploy options>]
       npm run forge:install -- --site <your-site.atlassian.net> [options] [-- <forge install options>]

Deploys (forge deploy) or installs (forge install) the Forge app with APP_URL as its remote's baseUrl and
CONNECT_KEY as app.connect.key, through your Forge CLI (it needs Node.js 22 or 24).

  -e, --environment <name>  Forge environment (default: your default development environment, as forge
                            chooses it: see forge settings list)
  --manifest <file>         the manifest.yml to deploy; forge runs in its folder (default:
                            ${CONNECT_ON_FORGE_MANIFEST} if it exists, else ${NATIVE_MANIFEST})
  --app-url <url>           the remote's baseUrl (default: APP_URL; for development also from .env.local)
  --connect-key <key>       app.connect.key (default: CONNECT_KEY, else the descriptor's key)
  --site <site>             install: the site (default: ATLASSIAN_SITE), e.g. acme.atlassian.net
  --product <name>          install: jira or confluence (default: confluence for a /wiki site, else jira)
  --upgrade                 install: upgrade an existing installation (after a major version)
  -h, --help                show this help

Everything after -- goes to forge unchanged, e.g. npm run forge:deploy -- -- --approve <rule>, --no-verify,
--major-version <n>, --non-interactive; npm run forge:install -- --site … -- --confirm-scopes.

A remote baseUrl change is a major version for Forge: each new tunnel URL means sites must upgrade. A tunnel URL
that survives restarts: docs/forge.md.`;

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
  // Ours before `--`, forge's after it, untouched.
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const forgeArgs = split < 0 ? [] : argv.slice(split + 1);
  const flags = parseFlags(own);
  if (flags.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const environment = flags.environment;
  if (environment !== undefined && !ENVIRONMENT_NAME.test(environment)) {
    throw new UsageError(`--environment must be a Forge environment name (letters, digits, "-" and "_"), not "${environment}".`);
  }
  // What the deployed app calls is this machine only in a development environment (the default one included).
  const development = environment === undefined || !NOT_DEVELOPMENT.includes(environment);
  const where = environment ?? 'your default development environment';
  const config = { ...(development ? await developmentFiles(io.cwd) : {}), ...definedOnly(io.env) };

  const manifestFile = path.resolve(io.cwd, flags.manifest ?? (existsSync(path.join(io.cwd, CONNECT_ON_FORGE_MANIFEST)) ? CONNECT_ON_FORGE_MANIFEST : NATIVE_MANIFEST));
  const manifestName = path.relative(io.cwd, manifestFile) || manifestFile;
  if (path.basename(manifestFile) !== 'manifest.yml') {
    // @forge/cli-shared out/config/config.js: manifestFileName = 'manifest.yml', read from the working folder.
    throw new CliError(`forge deploys the manifest.yml of the folder it runs in, so --manifest must name a file called manifest.yml (got ${manifestName}): put it in a folder of its own as manifest.yml.`);
  }
  if (!existsSync(manifestFile)) {
    throw new CliError(`${manifestName} does not exist: run npm run forge:manifest (Connect-on-Forge) or pass --manifest <folder>/manifest.yml.`);
  }
  const manifest = parseYaml(await readFile(manifestFile, 'utf8')) as { app?: { id?: string; connect?: unknown }; resources?: unknown[] };
  const appId = manifest?.app?.id;
  if (appId === UNREGISTERED_APP_ID) {
    throw new CliError(`${manifestName} has no Forge app yet: run forge register in ${path.dirname(manifestName)}, set FORGE_APP_ID to the id it prints, and run npm run forge:manifest -- --force.`);
  }

  const appUrl = publicAppUrl(flags['app-url'] ?? config.APP_URL, development ? undefined : environment);
  const connectKey = connectKeyFor(environment, flags['connect-key'] ?? config.CONNECT_KEY, await descriptorKey(io.cwd), !!manifest?.app?.connect, io);

  // Custom UI resources are build output: build them first, so Forge uploads what the sources say.
  if (command === 'deploy' && Array.isArray(manifest?.resources) && manifest.resources.length && (await packageScripts(io.cwd))['ui:build']) {
    io.stdout('Building the Custom UI (npm run ui:build)\n');
    const built = await exec({ file: findExecutable(process.platform === 'win32' ? 'npm.cmd' : 'npm', io.env as NodeJS.ProcessEnv) ?? 'npm', prefix: [] }, ['run', 'ui:build'], { cwd: io.cwd, env: io.env }, io);
    if (built.code !== 0) return built.code;
  }

  // Before anything reaches Atlassian: the manifest as Forge will read it, with these values.
  const vars = { APP_URL: appUrl, CONNECT_KEY: connectKey };
  const check = await validateManifestFile(manifestFile, { env: vars });
  if (check.errors.length) {
    throw new CliError(`${manifestName} is not valid with APP_URL=${appUrl}${connectKey ? ` CONNECT_KEY=${connectKey}` : ''}:\n${check.errors.map((e) => `- ${e}`).join('\n')}`);
  }

  const forge = await findForgeCli(io);
  await requireLogin(forge, io);

  const forgeEnv = { ...io.env, ...definedOnly(vars), ...(io.color && !io.env.FORCE_COLOR ? { FORCE_COLOR: '1' } : {}) };
  const cwd = path.dirname(manifestFile);
  const envArgs = environment === undefined ? [] : ['--environment', environment];
  const record = `${appId} ${environment ?? 'default'}`;
  if (command === 'deploy') {
    const previous = await lastDeployed(io.cwd, record);
    io.stdout(`Deploying ${manifestName} to ${where}: remote baseUrl ${appUrl}${connectKey ? `, Connect key ${connectKey}` : ''}\n`);
    if (previous && previous !== appUrl) {
      io.stdout(`The remote baseUrl changes from ${previous} to ${appUrl}. Forge treats a remote baseUrl change as a major version: sites keep calling the old URL until the upgrade is accepted (npm run forge:install -- --upgrade on your development site; admins approve it on customer sites).\n`);
    }
    if (new URL(appUrl).hostname.endsWith('.trycloudflare.com')) {
      io.stdout('Note: a quick tunnel gets a new URL each time it starts, and each new URL is a major version to deploy and upgrade. One URL that survives restarts: "A tunnel URL that survives restarts" in docs/forge.md.\n');
    }
    const { code, output } = await exec(forge, ['deploy', ...envArgs, ...forgeArgs], { cwd, env: forgeEnv }, io);
    const outcome = deployOutcome(code, output);
    if (!outcome.ok) {
      io.stderr(`Error: ${outcome.reason ?? explainFailure('forge deploy', code, output)}\n`);
      if (outcome.approve) io.stderr(`Once you have reviewed the rules above: npm run forge:deploy -- ${[...own, '--', ...withoutApprovals(forgeArgs), '--approve', ...outcome.approve].join(' ')}\n`);
      return code || 1;
    }
    await recordDeployed(io.cwd, record, appUrl);
    if (!previous) io.stdout('Deployed. Next: npm run forge:install -- --site <your-site.atlassian.net>\n');
    else if (previous !== appUrl) io.stdout('Deployed. Installed sites keep the old URL until upgraded: npm run forge:install -- --upgrade --site <your-site.atlassian.net>\n');
    else io.stdout('Deployed. A minor version reaches installed sites by itself; a major one (new scopes, remotes or modules) needs npm run forge:install -- --upgrade.\n');
    return 0;
  }

  const site = parseSite(flags.site ?? config.ATLASSIAN_SITE);
  const product = flags.product ?? (new URL(site).pathname.startsWith('/wiki') ? 'confluence' : 'jira');
  if (product !== 'jira' && product !== 'confluence') throw new UsageError(`--product must be jira or confluence, not "${product}".`);
  // Interactive on purpose: Forge asks the installer to confirm the app's scopes.
  const args = ['install', '--site', new URL(site).host, '--product', product, ...envArgs];
  if (flags.upgrade) args.push('--upgrade');
  io.stdout(`Installing ${where} on ${site} (${product})\n`);
  const { code, output } = await exec(forge, [...args, ...forgeArgs], { cwd, env: forgeEnv }, io);
  const failed = installFailure(code, output);
  if (failed) {
    io.stderr(`Error: ${failed}\n`);
    return code || 1;
  }
  return 0;
}

/** One forge run's result as forge tells it: its exit code is not enough (see installFailure). */
function deployOutcome(code: number, output: string): { ok: boolean; reason?: string; approve?: string[] } {
  const text = plain(output);
  // @forge/cli-shared out/ui/text.js deploy.taskLint.lintApproval: the linter (local and, since 13.3, server-side)
  // blocks the deploy until the rules are acknowledged with --approve.
  const approval = /The deploy failed due to \d+ approvals? requested\. Run forge deploy --approve (.+?) to acknowledge and proceed\./.exec(text);
  if (approval) {
    const rules = approval[1].trim().split(/\s+/);
    return { ok: false, approve: rules, reason: `Forge's linter blocks this deploy until you approve ${rules.join(', ')} (forge deploy --approve).` };
  }
  if (code !== 0) return { ok: false };
  // deploy.cmd.successDetails: "Deployed <app> to the <environment> environment." Without it nothing was deployed
  // (a declined prompt returns with code 0).
  if (/^Deployed .+ environment/m.test(text)) return { ok: true };
  return { ok: false, reason: `forge deploy exited 0 without saying "Deployed": nothing was deployed. ${lastError(text) ?? 'See its output above.'}` };
}

/**
 * Why an install failed, or undefined. `forge install` before any deploy prints an error and exits 0
 * (@forge/cli out/command-line/controller/install-controller.js: ui.error(new NoDeploymentError(…)); return).
 */
function installFailure(code: number, output: string): string | undefined {
  const text = plain(output);
  if (/Forge apps must be deployed before installation/.test(text)) return 'nothing is deployed to that environment yet: run npm run forge:deploy first (with the same -e), then this again.';
  if (code !== 0) return explainFailure('forge install', code, output);
  const error = lastError(text);
  if (error) return `forge install exited 0 but reported: ${error}`;
  return undefined;
}

/** forge's arguments without an earlier --approve and its rules, so the rerun names the rules forge asked for. */
function withoutApprovals(args: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--approve=')) continue;
    if (args[i] === '--approve') {
      while (i + 1 < args.length && !args[i + 1].startsWith('-')) i++;
      continue;
    }
    kept.push(args[i]);
  }
  return kept;
}

/** One line for a failed forge run: the network, the login, a question without a terminal, else forge's own error. */
function explainFailure(what: string, code: number, output: string): string {
  const text = plain(output);
  const network = networkFailure(text);
  if (network) return `${what} could not reach Atlassian: ${network}. Check this machine's network (and proxy), then run this again.`;
  if (NON_TTY.test(text)) return `${what} asked a question (above) and there is no terminal to answer it: run it in a terminal, or give forge its answers after -- (e.g. -- --non-interactive).`;
  return `${what} failed (exit code ${code}): ${lastError(text) ?? 'see its output above.'}`;
}

// The texts below are the real CLI's; test/forge/cli.test.ts quotes each from its file.
/** inquirer 8 (the CLI's prompts) lib/ui/baseUI.js, when stdin is not a terminal. */
const NON_TTY = /Prompts can not be meaningfully rendered in non-TTY environments/;
/** node-fetch's FetchError, printed by forge --verbose (and by some failures without it). */
function networkFailure(text: string): string | undefined {
  return /request to (\S+) failed, reason: ([^\n]+)/.exec(text)?.slice(1).join(': ');
}
function lastError(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('Error: ')).at(-1)?.slice('Error: '.length);
}
function plain(output: string): string {
  return stripVTControlCharacters(output).replace(/\r/g, '');
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
    const unknown = (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    throw new UsageError(`${(err as Error).message}${unknown ? ' Options for forge itself go after --, e.g. npm run forge:deploy -- -- --approve <rule>.' : ''}`);
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

/** Forge calls the remote from Atlassian's servers: https, on a host the internet can reach. `shared`: staging or production. */
function publicAppUrl(raw: string | undefined, shared: string | undefined): string {
  const fix = shared === undefined
    ? 'start a tunnel with npm run tunnel -- --write-env (it writes APP_URL to .env.local), or pass --app-url https://…'
    : `pass --app-url with the https URL of the app that serves ${shared}`;
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
function connectKeyFor(environment: string | undefined, chosen: string | undefined, descriptor: string, usesConnect: boolean, io: CliIO): string | undefined {
  if (!usesConnect) return undefined;
  const key = chosen?.trim() || descriptor;
  if (!APP_KEY_PATTERN.test(key)) throw new CliError(`CONNECT_KEY (${key}) is not a Connect app key: letters, digits, "-", "." or "_", at most 64.`);
  if (environment === 'production' && key !== descriptor) {
    throw new CliError(`production must use the descriptor's key ${descriptor} (your existing Connect app), not ${key}: unset CONNECT_KEY for this deploy.`);
  }
  if (environment !== 'production' && key === descriptor) {
    const suffix = environment === undefined || environment === 'development' ? 'dev' : environment;
    io.stdout(`Note: ${environment ?? 'your default development environment'} uses the production Connect key ${key}. A site holds one installation per Connect key, so give each environment its own: set CONNECT_KEY=${key}.${suffix} in .env.local, which the app (npm run dev) reads too.\n`);
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

/**
 * `forge whoami --verbose` before anything is deployed, read for what actually went wrong: forge prints
 * "UserNotFoundError" both for rejected credentials and for a network it cannot reach (the cause shows only
 * with --verbose), and a first run without a terminal stops at the analytics question.
 */
async function requireLogin(forge: ForgeCommand, io: CliIO): Promise<void> {
  let probe = await capture(forge, ['whoami', '--verbose'], { cwd: io.cwd, env: io.env });
  nodeNotice(probe.output, io);
  if (NON_TTY.test(plain(probe.output))) {
    // @forge/cli out/command-line/controller/pre-command-controller.js verifyAnalyticsPreferences: asked once,
    // before any command, until `forge settings set usage-analytics` is saved or FORGE_DISABLE_ANALYTICS is set
    // (out/service/cached-config-service.js getAnalyticsPreferences).
    if (!io.interactive) {
      throw new CliError('the Forge CLI asks once whether to share usage analytics, and cannot ask without a terminal: run forge settings set usage-analytics false (or true) once, or set FORGE_DISABLE_ANALYTICS=1, then run this again.');
    }
    io.stdout('Note: the Forge CLI will ask once whether to share usage analytics (forge settings set usage-analytics true|false answers it ahead).\n');
    probe = await capture(forge, ['whoami', '--verbose'], { cwd: io.cwd, env: { ...io.env, FORGE_DISABLE_ANALYTICS: '1' } });
  }
  const text = plain(probe.output);
  if (probe.code === 0 && /^Logged in (as|with) /m.test(text)) return;
  const network = networkFailure(text);
  if (network) throw new CliError(`the Forge CLI could not reach Atlassian (${network}): check this machine's network (and proxy), then run this again.`);
  const login = `run ${FORGE_LOGIN}, or set FORGE_EMAIL and FORGE_API_TOKEN (an API token from ${API_TOKENS})`;
  // @forge/cli-shared out/ui/text.js error.noTokenStored.
  if (/Not logged in\./.test(text)) throw new CliError(`the Forge CLI is not logged in: ${login}, then run this again.`);
  // auth/personal/me-graphql-client.js UserNotFoundError; text.js whoami.error.*, error.invalidToken*.
  if (/UserNotFoundError|couldn't get your Atlassian account information|API token .*no longer valid/.test(text)) {
    throw new CliError(io.env.FORGE_EMAIL && io.env.FORGE_API_TOKEN
      ? `Atlassian did not accept FORGE_EMAIL and FORGE_API_TOKEN: check both (a new token: ${API_TOKENS}), then run this again.`
      : `Atlassian did not accept the Forge CLI's login: ${login}, then run this again.`);
  }
  throw new CliError(`forge whoami failed (exit code ${probe.code}): ${lastError(text) ?? text.trim().split('\n').at(-1) ?? 'no output'}`);
}

/**
 * One line when forge will refuse or warn about this Node.js, read from what it printed
 * (@forge/cli out/command-line/controller/prerequisites-controller.js: it refuses outside its package.json
 * engines and warns outside 22.x or 24.x, out/command-line/version-info.js).
 */
function nodeNotice(output: string, io: CliIO): void {
  const text = plain(output);
  const refused = /Unsupported Node\.js version\. The CLI requires Node\.js (.+?), but you're using Node\.js (v?\d+\.\d+\.\d+)/.exec(text);
  if (refused) throw new CliError(`the Forge CLI refuses Node.js ${refused[2]} (it requires ${refused[1]}): ${FORGE_NODE}; e.g. nvm install 24, then run this again.`);
  const warned = /Warning: Forge CLI supports Node\.js (.+?)\./.exec(text);
  if (warned) io.stdout(`Note: ${FORGE_NODE}, and warned that it may not work on the Node.js it runs on now: use Node.js 22 or 24 for forge (e.g. nvm install 24).\n`);
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

/** How much of forge's output is kept to read its outcome: the end, where forge reports it. */
const KEPT_OUTPUT = 256 * 1024;

/**
 * Runs forge with the terminal's stdin, so it can ask its questions (scopes, a major version; its prompts need
 * only stdin to be a terminal: inquirer 8 lib/ui/baseUI.js), and passes its output through while keeping it.
 */
function exec(forge: ForgeCommand, args: string[], options: { cwd: string; env: CliIO['env'] }, io: CliIO): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(forge.file, [...forge.prefix, ...args], { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['inherit', 'pipe', 'pipe'] });
    const keep = (write: (t: string) => void) => (chunk: Buffer) => {
      const text = chunk.toString();
      write(text);
      output = (output + text).slice(-KEPT_OUTPUT);
    };
    child.stdout.on('data', keep(io.stdout));
    child.stderr.on('data', keep(io.stderr));
    child.on('error', (err) => resolve({ code: 127, output: `${output}\nError: ${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function lastDeployed(cwd: string, record: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(cwd, DEPLOYMENTS_FILE), 'utf8')) as Record<string, string>)[record];
  } catch {
    return undefined;
  }
}

async function recordDeployed(cwd: string, record: string, appUrl: string): Promise<void> {
  const file = path.join(cwd, DEPLOYMENTS_FILE);
  let all: Record<string, string> = {};
  try {
    all = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // first deploy from this checkout
  }
  all[record] = appUrl;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(all, null, 2)}\n`);
}
