/**
 * `npm run tunnel`: a public https URL for the app running on this machine, so a real Atlassian site can
 * reach it. Starts cloudflared (a quick tunnel: no account) or ngrok, whichever is installed, prints the
 * URL to use as APP_URL, and keeps the tunnel open until Ctrl-C. Types: tunnel.d.mts.
 *
 *   npm run tunnel                          cloudflared, else ngrok, to http://localhost:$PORT (3000)
 *   npm run tunnel -- --provider ngrok      pick one
 *   npm run tunnel -- --port 3001
 *   npm run tunnel -- --write-env           also set APP_URL in .env.local (start `npm run dev` after this)
 *
 * A quick tunnel gets a new URL each time it starts, and the deployed Forge app keeps the remote baseUrl it
 * was deployed with: `npm run forge:deploy` after restarting the tunnel (a new baseUrl is a major version).
 * One URL across restarts (docs/forge.md, "A tunnel URL that survives restarts"):
 *
 *   npm run tunnel -- --url https://notes-dev.example.com --name notes-dev --write-env   a named cloudflared tunnel
 *   npm run tunnel -- --url https://<your-dev-domain>.ngrok-free.dev --write-env          ngrok's dev domain
 *
 * --write-env keeps TUNNEL_URL (and TUNNEL_NAME) in .env.local beside APP_URL, so a plain `npm run tunnel`
 * starts the same URL next time.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, parseEnv } from 'node:util';
import { stripTrailingSlashes } from '../lib/url.mjs';

/**
 * How each program is started: a quick tunnel (a new URL each time), or, given `stable`, the one URL that is
 * yours: a named cloudflared tunnel whose hostname you routed to it, or an ngrok domain of your account.
 * @type {Record<string, { args: (port: string, stable?: { url: string, name?: string }) => string[], install: string }>}
 */
export const PROVIDERS = {
  cloudflared: {
    args: (port, stable) => stable?.name
      ? ['tunnel', 'run', '--url', `http://localhost:${port}`, stable.name]
      : ['tunnel', '--url', `http://localhost:${port}`],
    install: 'cloudflared (no account needed): https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/\n' +
      '      macOS: brew install cloudflared · Windows: winget install --id Cloudflare.cloudflared · Linux: the .deb/.rpm on that page',
  },
  ngrok: {
    args: (port, stable) => ['http', port, ...(stable ? ['--url', stable.url] : []), '--log', 'stdout', '--log-format', 'json'],
    install: 'ngrok (free account): https://ngrok.com/download, then: ngrok config add-authtoken <your token>\n' +
      '      (its free plan puts a warning page in front of browser requests, which can block the app\'s iframes)',
  },
};

/**
 * The public https URL in a line of the tunnel's output, if there is one.
 * cloudflared prints it in a banner ("https://<words>.trycloudflare.com"); ngrok logs JSON with a `url`.
 *
 * @param {'cloudflared' | 'ngrok'} provider
 * @param {string} line
 * @returns {string | null}
 * @example tunnelUrlIn('cloudflared', '|  https://a-b-c.trycloudflare.com  |') // 'https://a-b-c.trycloudflare.com'
 */
export function tunnelUrlIn(provider, line) {
  if (provider === 'cloudflared') {
    // The tunnel's own host; api.trycloudflare.com (where cloudflared asks for one) shows up in its errors.
    const url = /https:\/\/[a-z0-9-]+\.trycloudflare\.com/.exec(line)?.[0];
    return url && url !== 'https://api.trycloudflare.com' ? url : null;
  }
  try {
    const entry = JSON.parse(line);
    if (typeof entry.url === 'string' && entry.url.startsWith('https://')) return stripTrailingSlashes(entry.url);
  } catch {
    // not a JSON log line
  }
  return null;
}

/**
 * The executable for `name` on PATH, or null. (No `which`: it is not on every system.)
 * @param {string} name @param {NodeJS.ProcessEnv} [env]
 */
export function findExecutable(name, env = process.env) {
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of extensions) {
      const file = path.join(dir, name + ext);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** Sets APP_URL in an env file, keeping everything else. @param {string} file @param {string} url */
export function writeAppUrl(file, url) {
  writeEnvValues(file, { APP_URL: url });
}

/** Sets variables in an env file, keeping everything else. @param {string} file @param {Record<string, string>} values */
export function writeEnvValues(file, values) {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const [name, value] of Object.entries(values)) {
    const pattern = new RegExp(`^${name}=.*$`, 'm');
    const line = `${name}=${value}`;
    text = pattern.test(text) ? text.replace(pattern, line) : `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`;
  }
  writeFileSync(file, text);
}

/**
 * The URL that survives restarts, if one is set: --url/--name, else TUNNEL_URL/TUNNEL_NAME from the environment,
 * else from .env.local. Returns the provider it needs: a name is a cloudflared named tunnel (cloudflared cannot
 * give a quick tunnel a fixed URL); a URL alone is an ngrok domain.
 *
 * @param {{ url?: string, name?: string, provider?: string }} flags @param {NodeJS.ProcessEnv} env @param {string} cwd
 * @returns {{ url: string, name?: string, provider: 'cloudflared' | 'ngrok' } | null}
 */
export function stableTunnel(flags, env, cwd) {
  const file = path.join(cwd, '.env.local');
  const saved = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  const raw = flags.url ?? (env.TUNNEL_URL || saved.TUNNEL_URL);
  const name = flags.name ?? (env.TUNNEL_NAME || saved.TUNNEL_NAME);
  if (!raw) {
    if (name) throw new TunnelError(`TUNNEL_NAME (${name}) needs TUNNEL_URL, the https hostname you routed to that tunnel: --url https://<hostname>.`);
    return null;
  }
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new TunnelError(`--url / TUNNEL_URL must be an https URL such as https://notes-dev.example.com (got ${raw}).`);
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash || url.username || url.port) {
    throw new TunnelError(`--url / TUNNEL_URL must be a bare https origin such as https://notes-dev.example.com (got ${raw}).`);
  }
  const provider = name ? 'cloudflared' : 'ngrok';
  if (flags.provider && flags.provider !== provider) {
    throw new TunnelError(provider === 'ngrok'
      ? 'cloudflared keeps one URL only as a named tunnel: pass --name <tunnel> (cloudflared tunnel create <tunnel>, then cloudflared tunnel route dns <tunnel> <hostname>).'
      : 'a tunnel --name is cloudflared\'s; ngrok keeps one URL with --url alone (your ngrok domain).');
  }
  return { url: url.origin, ...(name ? { name } : {}), provider };
}

export class TunnelError extends Error {}

function main() {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' },
      port: { type: 'string' },
      url: { type: 'string' },
      name: { type: 'string' },
      'write-env': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npm run tunnel -- [--provider cloudflared|ngrok] [--port 3000] [--url https://<your hostname> [--name <cloudflared tunnel>]] [--write-env]');
    return;
  }
  const port = values.port ?? process.env.PORT ?? '3000';
  if (!/^\d{1,5}$/.test(port)) fail(`--port must be a port number (got ${port}).`);
  if (values.provider && !(values.provider in PROVIDERS)) fail(`--provider must be cloudflared or ngrok (got ${values.provider}).`);
  /** @type {ReturnType<typeof stableTunnel>} */
  let stable;
  try {
    stable = stableTunnel(values, process.env, process.cwd());
  } catch (err) {
    if (err instanceof TunnelError) fail(err.message);
    throw err;
  }
  const wanted = stable ? [stable.provider] : values.provider ? [values.provider] : Object.keys(PROVIDERS);

  const found = wanted.map((name) => ({ name, file: findExecutable(name) })).find((p) => p.file);
  if (!found) {
    fail(`No tunnel program found (looked for ${wanted.join(' and ')} on PATH). Install one:\n` +
      wanted.map((name) => `  - ${PROVIDERS[name].install}`).join('\n') +
      `\nthen run npm run tunnel again. Any tunnel to http://localhost:${port} works: set APP_URL to its https URL.`);
  }
  const provider = /** @type {'cloudflared' | 'ngrok'} */ (found.name);
  console.log(`[tunnel] Starting ${provider}${stable ? ` for ${stable.url}` : ''} to http://localhost:${port} …`);
  const child = spawn(/** @type {string} */ (found.file), PROVIDERS[provider].args(port, stable ?? undefined), { stdio: ['ignore', 'pipe', 'pipe'] });

  /** Output kept until the URL shows up, to explain a failure. */
  let early = '';
  let url = '';
  const timer = setTimeout(() => {
    console.error(`[tunnel] ${provider} ${stable?.name ? 'registered no tunnel connection' : 'printed no https URL'} within 45 s. Its output:\n${early}` +
      (stable?.name ? `\nIs the tunnel there (cloudflared tunnel list) and ${new URL(stable.url).hostname} routed to it (cloudflared tunnel route dns ${stable.name} ${new URL(stable.url).hostname})?` : ''));
    child.kill('SIGTERM');
  }, 45_000);

  const onLine = (/** @type {string} */ line) => {
    if (url) {
      // After start-up only problems are worth showing.
      if (/\b(ERR|error|failed)\b/i.test(line)) console.error(`[${provider}] ${line}`);
      return;
    }
    early += `${line}\n`;
    // A named tunnel prints no URL: its hostname is yours, and it is up once a connection to Cloudflare is registered.
    const found = stable?.name ? (/Registered tunnel connection/.test(line) ? stable.url : null) : tunnelUrlIn(provider, line);
    if (!found) return;
    url = found;
    clearTimeout(timer);
    if (stable && url !== stable.url) console.error(`[tunnel] ${provider} serves ${url}, not ${stable.url}: check TUNNEL_URL.`);
    ready(url, port, Boolean(values['write-env']), stable);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split(/\r?\n/);
      buffered = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
  child.on('error', (err) => fail(`Could not start ${provider}: ${err.message}`));
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    if (!url && early) console.error(early);
    console.error(`[tunnel] ${provider} stopped (${signal ?? `exit code ${code}`}).`);
    process.exit(url && (signal === 'SIGINT' || signal === 'SIGTERM') ? 0 : code || 1);
  });
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) process.on(signal, () => child.kill(signal));
}

/** @param {string} url @param {string} port @param {boolean} writeEnv @param {ReturnType<typeof stableTunnel>} stable */
function ready(url, port, writeEnv, stable) {
  const envFile = path.join(process.cwd(), '.env.local');
  if (writeEnv) writeEnvValues(envFile, { APP_URL: url, ...(stable ? { TUNNEL_URL: stable.url } : {}), ...(stable?.name ? { TUNNEL_NAME: stable.name } : {}) });
  console.log(`
[tunnel] ${url} → http://localhost:${port}

APP_URL=${url}

${writeEnv ? `Written to ${path.relative(process.cwd(), envFile)}${stable ? ' (with TUNNEL_URL, so npm run tunnel starts this URL again)' : ''}. In another terminal:

  npm run dev -- --no-host` : `In another terminal:

  APP_URL=${url} npm run dev -- --no-host`}

Then put this URL into your Forge app and install it on your development site (docs/forge.md):

  npm run forge:deploy
  npm run forge:install -- --site your-site.atlassian.net

${stable
    ? 'This URL stays the same when the tunnel restarts: once deployed, a restart needs no new deploy.'
    : `This URL changes each time the tunnel starts: run npm run forge:deploy again after a restart (a new
remote baseUrl is a major version for Forge, so also npm run forge:install -- --upgrade). One URL that
survives restarts: docs/forge.md, "A tunnel URL that survives restarts".`} Ctrl-C stops the tunnel.`);
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`[tunnel] ${message}`);
  process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
