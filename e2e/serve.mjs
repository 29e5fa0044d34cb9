// Builds the app for production and serves it for the end-to-end suite, on a fresh SQLite database
// under .data/e2e so that runs never see development data or each other's leftovers; beside it, the
// Connect host simulator (host/) on its own port and data directory, which the app is configured to
// trust for install keys and user tokens, the way `npm run dev` wires them. The simulator also hosts the
// sample's Forge app (forge/manifest.yml, its Custom UI built here with esbuild), signing Forge Invocation
// Tokens with a key the app trusts through FORGE_JWKS_URL.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { forgeAppId } from '../scripts/forge-app-id.mjs';

const port = process.argv[2] ?? '3100';
const hostPort = process.env.E2E_HOST_PORT ?? '4100';
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.data', 'e2e');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const appUrl = `http://127.0.0.1:${port}`;
const hostUrl = `http://127.0.0.1:${hostPort}`;

const env = {
  ...process.env,
  NODE_ENV: 'production',
  PORT: port,
  APP_URL: appUrl,
  DATABASE_URL: `file:${path.join(dataDir, 'app.db')}`,
  ENCRYPTION_KEY: process.env.E2E_ENCRYPTION_KEY ?? 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  CONNECT_ALLOWED_HOSTS: '*.atlassian.net,localhost,127.0.0.1',
  CONNECT_INSTALL_KEYS_URL: `${hostUrl}/install-keys`,
  CONNECT_OAUTH_URL: hostUrl,
  NEXT_DIST_DIR: '.next-e2e',
  // The suite runs as a paid listing: every simulated site starts licensed (HOST_LICENSE below), and
  // e2e/license.spec.ts lets one lapse to see the panels refuse writes and say why.
  LICENSE_REQUIRED: 'true',
  // The Vercel Cron route's secret (lib/privacy/cron.ts); e2e/privacy.spec.ts calls the route with it.
  CRON_SECRET: process.env.E2E_CRON_SECRET ?? 'e2e-cron-secret-0123456789abcdef',
};

// The Forge door: the app trusts the simulator's FIT key set, plain http on loopback, which the one transport
// rule (lib/url.mjs) accepts in production too. Were it refused, the app would not start and the suite would
// fail, rather than skip the Forge spec.
Object.assign(env, { FORGE_APP_ID: forgeAppId(path.join(root, 'forge/manifest.yml')), FORGE_JWKS_URL: `${hostUrl}/forge/jwks.json` });

// The simulator refuses NODE_ENV=production, which is right: it is a development tool, even here.
const hostEnv = {
  ...process.env,
  NODE_ENV: 'test',
  HOST_PORT: hostPort,
  HOST_URL: hostUrl,
  APP_URL: appUrl,
  HOST_DATA_DIR: path.join(dataDir, 'host'),
  HOST_FORGE_MANIFEST: path.join(root, 'forge/manifest.yml'),
  // Forge waits longer between retries; the suite need not.
  HOST_FORGE_RETRY_DELAY_MS: '100',
  HOST_LICENSE: 'active',
};

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let exiting = false;

function exit(code) {
  if (exiting) return;
  exiting = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  process.exit(code);
}

function start(args, childEnv, name) {
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!exiting) console.error(`[e2e] ${name} exited (${signal ?? code})`);
    exit(code ?? 0);
  });
  return child;
}

async function waitFor(url, name, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.error(`[e2e] ${name} did not answer at ${url}`);
  exit(1);
}

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) exit(result.status ?? 1);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => exit(0));

start(['host/cli.mjs'], hostEnv, 'the Connect host simulator');
run(['scripts/ui-build.mjs']);
run(['scripts/db/migrate.mjs']);
if (!process.env.E2E_SKIP_BUILD) run([path.join(root, 'node_modules/next/dist/bin/next'), 'build']);
await waitFor(`${hostUrl}/sites.json`, 'the Connect host simulator');
start([path.join(root, 'node_modules/next/dist/bin/next'), 'start', '-p', port, '-H', '127.0.0.1'], env, 'the app');
