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
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stripTrailingSlashes } from '../lib/url.mjs';

/** @type {Record<string, { args: (port: string) => string[], install: string }>} */
export const PROVIDERS = {
  cloudflared: {
    args: (port) => ['tunnel', '--url', `http://localhost:${port}`],
    install: 'cloudflared (no account needed): https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/\n' +
      '      macOS: brew install cloudflared · Windows: winget install --id Cloudflare.cloudflared · Linux: the .deb/.rpm on that page',
  },
  ngrok: {
    args: (port) => ['http', port, '--log', 'stdout', '--log-format', 'json'],
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
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const line = `APP_URL=${url}`;
  const next = /^APP_URL=.*$/m.test(text) ? text.replace(/^APP_URL=.*$/m, line) : `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`;
  writeFileSync(file, next);
}

function main() {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' },
      port: { type: 'string' },
      'write-env': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npm run tunnel -- [--provider cloudflared|ngrok] [--port 3000] [--write-env]');
    return;
  }
  const port = values.port ?? process.env.PORT ?? '3000';
  if (!/^\d{1,5}$/.test(port)) fail(`--port must be a port number (got ${port}).`);
  const wanted = values.provider ? [values.provider] : Object.keys(PROVIDERS);
  for (const p of wanted) if (!(p in PROVIDERS)) fail(`--provider must be cloudflared or ngrok (got ${p}).`);

  const found = wanted.map((name) => ({ name, file: findExecutable(name) })).find((p) => p.file);
  if (!found) {
    fail(`No tunnel program found (looked for ${wanted.join(' and ')} on PATH). Install one:\n` +
      wanted.map((name) => `  - ${PROVIDERS[name].install}`).join('\n') +
      `\nthen run npm run tunnel again. Any tunnel to http://localhost:${port} works: set APP_URL to its https URL.`);
  }
  const provider = /** @type {'cloudflared' | 'ngrok'} */ (found.name);
  console.log(`[tunnel] Starting ${provider} to http://localhost:${port} …`);
  const child = spawn(/** @type {string} */ (found.file), PROVIDERS[provider].args(port), { stdio: ['ignore', 'pipe', 'pipe'] });

  /** Output kept until the URL shows up, to explain a failure. */
  let early = '';
  let url = '';
  const timer = setTimeout(() => {
    console.error(`[tunnel] ${provider} printed no https URL within 45 s. Its output:\n${early}`);
    child.kill('SIGTERM');
  }, 45_000);

  const onLine = (/** @type {string} */ line) => {
    if (url) {
      // After start-up only problems are worth showing.
      if (/\b(ERR|error|failed)\b/i.test(line)) console.error(`[${provider}] ${line}`);
      return;
    }
    early += `${line}\n`;
    const found = tunnelUrlIn(provider, line);
    if (!found) return;
    url = found;
    clearTimeout(timer);
    ready(url, port, Boolean(values['write-env']));
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

/** @param {string} url @param {string} port @param {boolean} writeEnv */
function ready(url, port, writeEnv) {
  const envFile = path.join(process.cwd(), '.env.local');
  if (writeEnv) writeAppUrl(envFile, url);
  console.log(`
[tunnel] ${url} → http://localhost:${port}

APP_URL=${url}

${writeEnv ? `Written to ${path.relative(process.cwd(), envFile)}. In another terminal:

  npm run dev -- --no-host` : `In another terminal:

  APP_URL=${url} npm run dev -- --no-host`}

Then put this URL into your Forge app and install it on your development site (docs/forge.md):

  npm run forge:deploy
  npm run forge:install -- --site your-site.atlassian.net

This URL changes each time the tunnel starts: run npm run forge:deploy again after a restart (a new
remote baseUrl is a major version for Forge, so also npm run forge:install -- --upgrade). Ctrl-C stops the tunnel.`);
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`[tunnel] ${message}`);
  process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
