// Builds the app for production and serves it for the end-to-end suite, on a fresh SQLite database
// under .data/e2e so that runs never see development data or each other's leftovers.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const port = process.argv[2] ?? '3100';
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.data', 'e2e');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const env = {
  ...process.env,
  NODE_ENV: 'production',
  PORT: port,
  APP_URL: `http://127.0.0.1:${port}`,
  DATABASE_URL: `file:${path.join(dataDir, 'app.db')}`,
  ENCRYPTION_KEY: process.env.E2E_ENCRYPTION_KEY ?? 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  CONNECT_ALLOWED_HOSTS: '*.atlassian.net,localhost,127.0.0.1',
  NEXT_DIST_DIR: '.next-e2e',
};

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(['scripts/db/migrate.mjs']);
if (!process.env.E2E_SKIP_BUILD) run([path.join(root, 'node_modules/next/dist/bin/next'), 'build']);
const server = spawn(process.execPath, [path.join(root, 'node_modules/next/dist/bin/next'), 'start', '-p', port, '-H', '127.0.0.1'], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
