#!/usr/bin/env node
/**
 * The Connect host simulator's command line (`npm run host -- <command>`).
 *
 *   npm run host                                              start the simulator (HOST_PORT, default 4000)
 *   npm run host -- webhook <event> --issue NOTE-1 [--site acme] [--app <key>]
 *   npm run host -- redeliver <delivery id> [--site acme]
 *   npm run host -- install [--site acme] [--descriptor <url>]
 *   npm run host -- uninstall|enable|disable [--site acme] [--app <key>]
 *   npm run host -- sites
 *   npm run host -- forge-install|forge-upgrade|forge-uninstall [--site acme] [--app <Connect key, for forge-upgrade>]
 *   npm run host -- forge-event avi:jira:deleted:issue|avi:jira:updated:issue --issue NOTE-1 [--site acme]
 *
 * Every command but the first talks to the running simulator over HTTP, so its log and state see
 * what the command did.
 */
import { parseArgs } from 'node:util';
import { HostConfigError, parseHostConfig } from './lib/config.mjs';
import { autoInstallForge } from './lib/forge.mjs';
import { autoInstall } from './lib/lifecycle.mjs';
import { startServer } from './lib/server.mjs';
import { Simulator } from './lib/simulator.mjs';

const USAGE = `Connect host simulator — not Atlassian

  npm run host                                            start the simulator
  npm run host -- webhook <event> --issue <KEY> [--site <name>] [--app <key>]
  npm run host -- redeliver <delivery id> [--site <name>]
  npm run host -- install [--site <name>] [--descriptor <url>]
  npm run host -- uninstall|enable|disable [--site <name>] [--app <key>]
  npm run host -- sites
  npm run host -- forge-install|forge-upgrade|forge-uninstall [--site <name>] [--app <Connect key, for forge-upgrade>]
  npm run host -- forge-event avi:jira:deleted:issue|avi:jira:updated:issue --issue <KEY> [--site <name>]
  npm run host -- license active|inactive|unset [--site <name>]
  npm run host -- rate-limit <calls> [--retry-after <seconds>] [--status 429|503] [--site <name>]   (0 lifts it)

Environment: HOST_PORT (4000), HOST_URL, APP_URL, HOST_DATA_DIR (.data/host), HOST_AUTO_INSTALL (a site name),
HOST_FORGE_MANIFEST (forge/manifest.yml), HOST_FORGE_AUTO_INSTALL (a site name), HOST_FORGE_RETRY_DELAY_MS (1000).`;

/** @param {string[]} argv */
async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      site: { type: 'string', default: 'acme' },
      app: { type: 'string' },
      issue: { type: 'string' },
      descriptor: { type: 'string' },
      'retry-after': { type: 'string', default: '1' },
      status: { type: 'string', default: '429' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command = 'serve', ...rest] = positionals;
  if (values.help || command === 'help') return void console.log(USAGE);
  const config = parseHostConfig();
  if (command === 'serve') return serve(config);

  const client = new Client(config.hostUrl);
  switch (command) {
    case 'sites': {
      const { sites } = await client.get('/sites.json');
      for (const s of sites) {
        console.log(`${s.name}  ${s.baseUrl}  issues: ${s.issues.join(', ')}`);
        for (const i of s.installations) console.log(`  ${i.appKey}  ${i.state}  clientKey ${i.clientKey}${i.lastError ? `  (${i.lastError})` : ''}`);
      }
      return;
    }
    case 'webhook': {
      const [event] = rest;
      if (!event || !values.issue) throw new UsageError('webhook needs an event and --issue, e.g. webhook jira:issue_deleted --issue NOTE-1');
      const result = await client.post(`/sites/${values.site}/_admin/webhooks`, { event, issue: values.issue, appKey: values.app ?? '' });
      for (const d of result.deliveries) console.log(`${d.event} → ${d.appKey}: ${d.status ?? 'no answer'}  (delivery ${d.id}; redeliver with: npm run host -- redeliver ${d.id} --site ${values.site})`);
      return;
    }
    case 'redeliver': {
      const [id] = rest;
      if (!id) throw new UsageError('redeliver needs a delivery id (printed by the webhook command and shown on the issue view)');
      const { delivery } = await client.post(`/sites/${values.site}/_admin/webhooks/${encodeURIComponent(id)}/redeliver`, {});
      return void console.log(`${delivery.event} → ${delivery.appKey}: ${delivery.status ?? 'no answer'} (retry ${delivery.retry})`);
    }
    case 'install': {
      const result = await client.post(`/sites/${values.site}/_admin/install`, values.descriptor ? { descriptorUrl: values.descriptor } : {});
      return void console.log(result.message);
    }
    case 'uninstall':
    case 'enable':
    case 'disable': {
      const appKey = values.app ?? (await client.onlyApp(values.site));
      const result = await client.post(`/sites/${values.site}/_admin/${command}`, { appKey });
      return void console.log(result.message);
    }
    case 'forge-install':
    case 'forge-uninstall':
    case 'forge-upgrade': {
      const result = await client.post(`/sites/${values.site}/_admin/${command}`, values.app ? { appKey: values.app } : {});
      return void console.log(result.message);
    }
    case 'forge-event': {
      const [event] = rest;
      if (!event || !values.issue) throw new UsageError('forge-event needs an event and --issue, e.g. forge-event avi:jira:deleted:issue --issue NOTE-1');
      const result = await client.post(`/sites/${values.site}/_admin/forge-event`, { event, issue: values.issue });
      return void console.log(result.message);
    }
    case 'license': {
      const [license] = rest;
      if (!license) throw new UsageError('license needs a state: active, inactive or unset');
      return void console.log((await client.post(`/sites/${values.site}/_admin/license`, { license })).message);
    }
    case 'rate-limit': {
      const [calls] = rest;
      if (calls === undefined) throw new UsageError('rate-limit needs a number of calls, e.g. rate-limit 3 --retry-after 2');
      const result = await client.post(`/sites/${values.site}/_admin/rate-limit`, { calls, retryAfter: values['retry-after'], status: values.status });
      return void console.log(result.message);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** @param {import('./lib/config.mjs').HostConfig} config */
async function serve(config) {
  const sim = new Simulator(config);
  const server = await startServer(sim);
  console.log(`[host] Connect host simulator — not Atlassian — on ${config.hostUrl} (app: ${config.appUrl}, data: ${config.dataDir})`);
  console.log(`[host] sites: ${sim.store.listSites().map((s) => `${config.hostUrl}/sites/${s.name}`).join(', ')}`);
  let stopping = false;
  const stop = async (/** @type {NodeJS.Signals} */ signal) => {
    if (stopping) return;
    stopping = true;
    await server.close();
    process.exit(signal === 'SIGINT' ? 130 : 0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const connect = config.autoInstall
    ? autoInstall(sim, config.autoInstall).then(
      (i) => console.log(`[host] ${i.appKey} is ${i.state} on ${config.autoInstall}${i.lastError ? ` (${i.lastError})` : ''}`),
      (err) => console.error(`[host] automatic install on ${config.autoInstall} failed: ${err.message}`),
    )
    : Promise.resolve();
  if (config.forgeAutoInstall) {
    const siteName = config.forgeAutoInstall;
    connect.then(() => autoInstallForge(sim, siteName)).then(
      (message) => console.log(`[host] ${message}`),
      (err) => console.error(`[host] Forge install on ${siteName} failed: ${err.message}`),
    );
  }
}

/** Talks to the running simulator, as a tool (no browser headers, so its same-origin check lets it through). */
class Client {
  /** @param {string} hostUrl */
  constructor(hostUrl) {
    this.hostUrl = hostUrl;
  }

  /** @param {string} path */
  get(path) {
    return this.#call('GET', path);
  }

  /** @param {string} path @param {Record<string, string>} body */
  post(path, body) {
    return this.#call('POST', path, body);
  }

  /** The key of the one app installed on a site; an error naming the choices when there are several. @param {string} site */
  async onlyApp(site) {
    const { sites } = await this.get('/sites.json');
    const found = sites.find((/** @type {{ name: string }} */ s) => s.name === site);
    if (!found) throw new UsageError(`there is no site "${site}"`);
    const keys = found.installations.filter((/** @type {{ state: string }} */ i) => i.state !== 'uninstalled').map((/** @type {{ appKey: string }} */ i) => i.appKey);
    if (keys.length !== 1) throw new UsageError(keys.length ? `several apps on ${site}: pass --app (${keys.join(', ')})` : `no app is installed on ${site}`);
    return keys[0];
  }

  /** @param {string} method @param {string} path @param {Record<string, string>} [body] */
  async #call(method, path, body) {
    let response;
    try {
      response = await fetch(`${this.hostUrl}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new UsageError(`the simulator is not answering at ${this.hostUrl}: start it with \`npm run host\` (or \`npm run dev\`)`);
    }
    const result = await response.json().catch(() => ({}));
    if (!response.ok) throw new UsageError(result.error ?? result.message ?? `the simulator answered ${response.status}`);
    return result;
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof HostConfigError || err instanceof UsageError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`[host] ${err.message}`);
    process.exit(2);
  }
  console.error('[host]', err);
  process.exit(1);
});
