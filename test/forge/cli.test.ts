/**
 * npm run forge:deploy / forge:install against a fake `forge` on PATH that records its arguments, working
 * folder and the manifest variables it was given (and a fake that is not logged in).
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runForgeCli, type CliIO } from '@/scripts/forge/cli';
import { runForgeManifestCommand } from '@/scripts/forge/manifest-command';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';
const ROOT = path.resolve(__dirname, '../..');
const DESCRIPTOR = path.resolve(__dirname, 'fixtures/descriptor.json');
const KEY = 'com.example.connect-next';

interface Call { argv: string[]; cwd: string; APP_URL?: string; CONNECT_KEY?: string }

/** A `forge` executable: records every call; `whoami` answers as FAKE_FORGE_LOGIN says; deploy exits FAKE_FORGE_EXIT. */
function fakeForge(dir: string) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'forge');
  writeFileSync(file, `#!${process.execPath}
const fs = require('node:fs');
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_FORGE_LOG, JSON.stringify({ argv, cwd: process.cwd(), APP_URL: process.env.APP_URL, CONNECT_KEY: process.env.CONNECT_KEY }) + '\\n');
if (argv[0] === 'whoami') {
  if (process.env.FAKE_FORGE_LOGIN === 'no') { console.error('Error: Not logged in. Run forge login to log in.'); process.exit(1); }
  console.log('Logged in as Dev (dev@example.com)');
  process.exit(0);
}
process.exit(Number(process.env.FAKE_FORGE_EXIT ?? 0));
`);
  chmodSync(file, 0o755);
}

let cwd: string;
let bin: string;
let log: string;
/** A PATH with node and nothing else: no forge, no npx. */
let bare: string;

beforeAll(async () => {
  bare = mkdtempSync(path.join(tmpdir(), 'forge-cli-bare-'));
  symlinkSync(process.execPath, path.join(bare, 'node'));
});

beforeEach(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), 'forge-cli-'));
  bin = path.join(cwd, '.bin');
  log = path.join(cwd, 'forge-calls.log');
  fakeForge(bin);
  copyFileSync(DESCRIPTOR, path.join(cwd, 'atlassian-connect.json'));
  writeFileSync(path.join(cwd, '.env.local'), 'APP_URL=https://first-words.trycloudflare.com\nCONNECT_KEY=com.example.connect-next.dev\n');
  const code = await runForgeManifestCommand(['--app-id', APP_ID], { env: {}, cwd, stdout: () => {}, stderr: () => {} });
  expect(code).toBe(0);
}, 60_000);
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function run(command: 'deploy' | 'install', args: string[] = [], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    env: { PATH: `${bin}${path.delimiter}${bare}`, FAKE_FORGE_LOG: log, ...env },
    cwd,
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
  };
  const code = await runForgeCli(command, args, io);
  return { code, stdout, stderr };
}

const calls = (): Call[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const forgeRuns = () => calls().filter((c) => c.argv[0] !== 'whoami');
const manifestDir = () => path.join(cwd, 'forge/connect-on-forge');

describe('npm run forge:deploy', () => {
  it('deploys the Connect-on-Forge manifest from its folder with APP_URL and CONNECT_KEY from .env.local', async () => {
    const { code, stdout, stderr } = await run('deploy');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(forgeRuns()).toEqual([{ argv: ['deploy', '--environment', 'development'], cwd: manifestDir(), APP_URL: 'https://first-words.trycloudflare.com', CONNECT_KEY: 'com.example.connect-next.dev' }]);
    expect(stdout).toContain('remote baseUrl https://first-words.trycloudflare.com');
  }, 60_000);

  it('puts the current tunnel URL into the deployed app, and says plainly that the change is a major version', async () => {
    await run('deploy');
    writeFileSync(path.join(cwd, '.env.local'), 'APP_URL=https://second-words.trycloudflare.com\nCONNECT_KEY=com.example.connect-next.dev\n');
    const { code, stdout } = await run('deploy');
    expect(code).toBe(0);
    expect(forgeRuns().at(-1)?.APP_URL).toBe('https://second-words.trycloudflare.com');
    expect(stdout).toContain('changes from https://first-words.trycloudflare.com to https://second-words.trycloudflare.com');
    expect(stdout).toContain('major version');
  });

  it('takes APP_URL from the environment over .env.local, and --app-url over both', async () => {
    await run('deploy', [], { APP_URL: 'https://from-env.example.com' });
    await run('deploy', ['--app-url', 'https://from-flag.example.com'], { APP_URL: 'https://from-env.example.com' });
    expect(forgeRuns().map((c) => c.APP_URL)).toEqual(['https://from-env.example.com', 'https://from-flag.example.com']);
  });

  it('refuses a local APP_URL before running Forge, naming the tunnel', async () => {
    writeFileSync(path.join(cwd, '.env.local'), 'APP_URL=http://localhost:3000\n');
    const { code, stderr } = await run('deploy');
    expect(code).toBe(1);
    expect(stderr).toContain('npm run tunnel');
    writeFileSync(path.join(cwd, '.env.local'), 'APP_URL=https://192.168.1.20:3000\n');
    expect((await run('deploy')).stderr).toContain('which Forge cannot call');
    expect(calls()).toEqual([]);
  });

  it('production: never takes the URL from .env.local, and keeps the descriptor’s Connect key', async () => {
    const noUrl = await run('deploy', ['-e', 'production']);
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toContain('--app-url');
    const otherKey = await run('deploy', ['-e', 'production', '--app-url', 'https://notes.example.com'], { CONNECT_KEY: 'com.example.connect-next.dev' });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toContain(`production must use the descriptor's key ${KEY}`);
    expect(forgeRuns()).toEqual([]);
    expect((await run('deploy', ['-e', 'production', '--app-url', 'https://notes.example.com'])).code).toBe(0);
    expect(forgeRuns()).toEqual([expect.objectContaining({ argv: ['deploy', '--environment', 'production'], APP_URL: 'https://notes.example.com', CONNECT_KEY: KEY })]);
  });

  it('gives each environment its own key: a development deploy with the production key says how to change it', async () => {
    writeFileSync(path.join(cwd, '.env.local'), 'APP_URL=https://first-words.trycloudflare.com\n');
    const { code, stdout } = await run('deploy');
    expect(code).toBe(0);
    expect(stdout).toContain(`set CONNECT_KEY=${KEY}.dev in .env.local`);
    expect(forgeRuns()[0].CONNECT_KEY).toBe(KEY);
  });

  it('passes Forge’s own exit code on', async () => {
    expect((await run('deploy', [], { FAKE_FORGE_EXIT: '3' })).code).toBe(3);
  });

  it('refuses a manifest that is not registered yet, naming forge register', async () => {
    await runForgeManifestCommand(['--unregistered', '--force'], { env: {}, cwd, stdout: () => {}, stderr: () => {} });
    const { code, stderr } = await run('deploy');
    expect(code).toBe(1);
    expect(stderr).toContain('forge register');
  });

  it('a logged-out Forge CLI gets one clear line naming forge login, and nothing is deployed', async () => {
    const { code, stderr } = await run('deploy', [], { FAKE_FORGE_LOGIN: 'no' });
    expect(code).toBe(1);
    expect(stderr).toBe('Error: the Forge CLI is not logged in: run forge login (with an Atlassian API token), then run this again.\n');
    expect(forgeRuns()).toEqual([]);
  });

  it('a missing Forge CLI gets one clear line naming npm i -g @forge/cli', async () => {
    let stderr = '';
    const code = await runForgeCli('deploy', [], { env: { PATH: bare }, cwd, stdout: () => {}, stderr: (t) => { stderr += t; } });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: the Forge CLI is not installed: npm i -g @forge\/cli, then forge login/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('npm run forge:install', () => {
  it('installs the environment on the site, with the same manifest variables', async () => {
    const { code } = await run('install', ['--site', 'acme.atlassian.net']);
    expect(code).toBe(0);
    expect(forgeRuns()).toEqual([{
      argv: ['install', '--site', 'acme.atlassian.net', '--product', 'jira', '--environment', 'development'],
      cwd: manifestDir(), APP_URL: 'https://first-words.trycloudflare.com', CONNECT_KEY: 'com.example.connect-next.dev',
    }]);
  });

  it('takes the site from ATLASSIAN_SITE, infers Confluence from /wiki, and upgrades with --upgrade', async () => {
    await run('install', ['--upgrade'], { ATLASSIAN_SITE: 'https://acme.atlassian.net/wiki' });
    expect(forgeRuns()[0].argv).toEqual(['install', '--site', 'acme.atlassian.net', '--product', 'confluence', '--environment', 'development', '--upgrade']);
  });

  it('asks which site when none is given', async () => {
    const { code, stderr } = await run('install');
    expect(code).toBe(1);
    expect(stderr).toContain('--site your-site.atlassian.net');
  });
});

describe('scripts/forge-cli.mjs', () => {
  it('runs the command as a Node script, with the real process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/forge-cli.mjs'), 'deploy'], {
      cwd,
      env: { PATH: `${bin}${path.delimiter}${bare}`, FAKE_FORGE_LOG: log } as unknown as NodeJS.ProcessEnv,
    });
    expect(stdout).toContain('Deploying forge/connect-on-forge/manifest.yml to development');
    expect(forgeRuns()).toHaveLength(1);
  }, 60_000);
});
