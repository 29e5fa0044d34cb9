/**
 * npm run forge:deploy / forge:install against a fake `forge` on PATH that records its arguments, working
 * folder and the manifest variables it was given, and answers with the real Forge CLI's texts.
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

interface Call { argv: string[]; cwd: string; APP_URL?: string; CONNECT_KEY?: string; FORGE_DISABLE_ANALYTICS?: string }

/**
 * What the real Forge CLI prints, quoted from @forge/cli 13.3.0 and the @forge/cli-shared 9.3.0 it pins (`npm pack`
 * them to check; chalk's colours are off when forge's output is a pipe, as here). Captured by running that CLI
 * logged out, on Node 20, on a machine without internet.
 */
const FORGE_TEXTS = {
  // cli-shared out/ui/text.js warning.unsupportedNodeVersion, printed by cli out/command-line/controller/prerequisites-controller.js
  nodeWarning: 'Warning: Forge CLI supports Node.js 22.x or 24.x.\nUnsupported Node.js versions are not guaranteed to work correctly.\n',
  // text.js error.outdatedNodeVersion with cli package.json engines.node
  nodeRefused: "Error: Unsupported Node.js version. The CLI requires Node.js >=20.18.1 <22.23.1 || >22.23.1 <24.17.0 || >24.17.0, but you're using Node.js v22.23.1.",
  // text.js settings.analytics.banner (cli out/command-line/view/analytics-settings-view.js), then the prompt's own
  // error from inquirer 8 lib/ui/baseUI.js when stdin is not a terminal, printed by cli-shared shared/error-handling.js exitOnError
  analyticsPrompt: 'We are continuously working to improve the developer experience in Forge. CLI usage helps us do just that. Select yes below to agree to our collection of analytics data through our tools. You can use forge settings to manage your settings at any time.\n\n\nError: Prompts can not be meaningfully rendered in non-TTY environments\n\nRerunning the command with --verbose may give more details.',
  // text.js error.noTokenStored
  notLoggedIn: 'Error: Not logged in. If a local keychain is available, run forge login, otherwise set environment variables before trying again. See https://go.atlassian.com/dac/platform/forge/getting-started/#log-in-with-an-atlassian-api-token for more.\n\nRerunning the command with --verbose may give more details.',
  // cli-shared out/auth/personal/me-graphql-client.js: any failure of the `me` query, the cause logged only with --verbose
  // (node-fetch's FetchError message), then UserNotFoundError with no message of its own
  networkVerbose: 'request to https://api.atlassian.com/graphql failed, reason: getaddrinfo ENOTFOUND api.atlassian.com\n\n\nError: UserNotFoundError\n\nRerunning the command with --verbose may give more details.',
  rejected: '\n\nError: UserNotFoundError\n\nRerunning the command with --verbose may give more details.',
  // text.js whoami.success.personalCredentials
  loggedIn: 'Logged in as Dev (dev@example.com)\nAccount ID: 5b10a2844c20165700ede21g',
  // text.js deploy.cmd.successDetails (cli out/command-line/view/deploy-view.js)
  deployed: 'Deployed Issue notes to the development environment.',
  // text.js deploy.taskLint.lintApproval (deploy-view.js displayLintApprovals; deploy-controller.js throws after it)
  approval: 'The deploy failed due to 2 approvals requested. Run forge deploy --approve egress-wildcard scope-sensitive to acknowledge and proceed.\n\nError: The deploy failed due to errors in the app code.',
  // text.js install.error.noDeploymentFound: cli out/command-line/controller/install-controller.js prints it with
  // ui.error and returns, so forge exits 0
  noDeployment: 'Error: Forge apps must be deployed before installation. Deploy your app by running forge deploy -e development.',
  // text.js install.success.banner
  installed: 'Your app in the development environment is now installed in Jira on acme.atlassian.net. You can install the app into other Atlassian apps by running the forge install command again.',
};

/**
 * A `forge` executable that records every call and answers with the real CLI's texts: `whoami` as FAKE_FORGE_WHOAMI
 * says (ok, logged-out, network, rejected, analytics: the first-run question unless FORGE_DISABLE_ANALYTICS is set),
 * deploy and install as FAKE_FORGE_RESULT says (ok, approval, declined, no-deployment), FAKE_FORGE_NODE (warn,
 * refuse) before any command, as forge checks Node first; FAKE_FORGE_EXIT overrides the exit code.
 */
function fakeForge(dir: string) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'forge');
  writeFileSync(file, `#!${process.execPath}
const fs = require('node:fs');
const T = ${JSON.stringify(FORGE_TEXTS)};
const argv = process.argv.slice(2);
const env = process.env;
fs.appendFileSync(env.FAKE_FORGE_LOG, JSON.stringify({ argv, cwd: process.cwd(), APP_URL: env.APP_URL, CONNECT_KEY: env.CONNECT_KEY, FORGE_DISABLE_ANALYTICS: env.FORGE_DISABLE_ANALYTICS }) + '\\n');
const end = (text, code) => { if (text) console.log(text); process.exit(code); };
if (env.FAKE_FORGE_NODE === 'refuse') end(T.nodeRefused, 1);
if (env.FAKE_FORGE_NODE === 'warn') console.log(T.nodeWarning);
if (env.FAKE_FORGE_WHOAMI === 'analytics' && !env.FORGE_DISABLE_ANALYTICS) end(T.analyticsPrompt, 1);
if (argv[0] === 'whoami') {
  const answer = { 'logged-out': T.notLoggedIn, network: argv.includes('--verbose') ? T.networkVerbose : T.rejected, rejected: T.rejected }[env.FAKE_FORGE_WHOAMI];
  if (answer) end(answer, 1);
  end(T.loggedIn, 0);
}
if (env.FAKE_FORGE_EXIT) end('', Number(env.FAKE_FORGE_EXIT));
const result = env.FAKE_FORGE_RESULT ?? 'ok';
if (result === 'approval') end(T.approval, 1);
if (result === 'declined') end('', 0);
if (result === 'no-deployment') end(T.noDeployment, 0);
end(argv[0] === 'install' ? T.installed : T.deployed, 0);
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

async function run(command: 'deploy' | 'install', args: string[] = [], env: Record<string, string> = {}, terminal: { interactive?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    env: { PATH: `${bin}${path.delimiter}${bare}`, FAKE_FORGE_LOG: log, ...env },
    cwd,
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    ...terminal,
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
    // No -e: forge picks the developer's default environment itself.
    expect(forgeRuns()).toEqual([{ argv: ['deploy'], cwd: manifestDir(), APP_URL: 'https://first-words.trycloudflare.com', CONNECT_KEY: 'com.example.connect-next.dev' }]);
    expect(stdout).toContain(FORGE_TEXTS.deployed);
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
    expect(stdout).toContain('npm run forge:install -- --upgrade');
  });

  it('a quick tunnel URL gets one line pointing at the URL that survives restarts; a stable one does not', async () => {
    expect((await run('deploy')).stdout).toContain('Note: a quick tunnel gets a new URL each time it starts');
    expect((await run('deploy', ['--app-url', 'https://notes-dev.example.com'])).stdout).not.toContain('quick tunnel');
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
    // staging is not a development environment either
    expect((await run('deploy', ['-e', 'staging'])).stderr).toContain('--app-url');
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


  it('a missing Forge CLI gets one clear line naming npm i -g @forge/cli', async () => {
    let stderr = '';
    const code = await runForgeCli('deploy', [], { env: { PATH: bare }, cwd, stdout: () => {}, stderr: (t) => { stderr += t; } });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: the Forge CLI is not installed: npm i -g @forge\/cli, then forge login/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the Forge CLI 13.x grammar', () => {
  it('accepts the environment names forge accepts (underscores too) and passes them on', async () => {
    const { code } = await run('deploy', ['-e', 'dev_alice-2']);
    expect(code).toBe(0);
    expect(forgeRuns()[0].argv).toEqual(['deploy', '--environment', 'dev_alice-2']);
    // a development environment of one's own is this machine's too: APP_URL comes from .env.local
    expect(forgeRuns()[0].APP_URL).toBe('https://first-words.trycloudflare.com');
  });

  it('refuses a name forge would refuse, before running it', async () => {
    const { code, stderr } = await run('deploy', ['-e', 'dev.alice']);
    expect(code).toBe(2);
    expect(stderr).toContain('--environment must be a Forge environment name');
    expect(calls()).toEqual([]);
  });

  it('runs forge in the folder of the manifest it checked (forge reads ./manifest.yml)', async () => {
    mkdirSync(path.join(cwd, 'other'));
    copyFileSync(path.join(manifestDir(), 'manifest.yml'), path.join(cwd, 'other/manifest.yml'));
    expect((await run('deploy', ['--manifest', 'other/manifest.yml'])).code).toBe(0);
    expect(forgeRuns()[0].cwd).toBe(path.join(cwd, 'other'));
  });

  it('refuses in one line a --manifest forge cannot deploy: any file not named manifest.yml', async () => {
    copyFileSync(path.join(manifestDir(), 'manifest.yml'), path.join(cwd, 'staging.yml'));
    const { code, stderr } = await run('deploy', ['--manifest', 'staging.yml']);
    expect(code).toBe(1);
    expect(stderr).toBe('Error: forge deploys the manifest.yml of the folder it runs in, so --manifest must name a file called manifest.yml (got staging.yml): put it in a folder of its own as manifest.yml.\n');
    expect(calls()).toEqual([]);
  });

  it('passes everything after -- to forge unchanged', async () => {
    await run('deploy', ['-e', 'development', '--', '--no-verify', '--major-version', '2', '--non-interactive']);
    await run('install', ['--site', 'acme.atlassian.net', '--', '--confirm-scopes', '--', 'x y']);
    expect(forgeRuns().map((c) => c.argv)).toEqual([
      ['deploy', '--environment', 'development', '--no-verify', '--major-version', '2', '--non-interactive'],
      ['install', '--site', 'acme.atlassian.net', '--product', 'jira', '--confirm-scopes', '--', 'x y'],
    ]);
  });

  it('says where forge’s own options go when one is given before --', async () => {
    const { code, stderr } = await run('deploy', ['--approve', 'egress-wildcard']);
    expect(code).toBe(2);
    expect(stderr).toContain('Options for forge itself go after --');
  });

  it('the linter’s approval block: forge’s message, then one line with the command to rerun', async () => {
    const { code, stdout, stderr } = await run('deploy', ['-e', 'development'], { FAKE_FORGE_RESULT: 'approval' });
    expect(code).toBe(1);
    expect(stdout).toContain(FORGE_TEXTS.approval.split('\n')[0]);
    expect(stderr).toBe("Error: Forge's linter blocks this deploy until you approve egress-wildcard, scope-sensitive (forge deploy --approve).\n" +
      'Once you have reviewed the rules above: npm run forge:deploy -- -e development -- --approve egress-wildcard scope-sensitive\n');
    await run('deploy', ['-e', 'development', '--', '--approve', 'egress-wildcard', 'scope-sensitive']);
    expect(forgeRuns().at(-1)?.argv).toEqual(['deploy', '--environment', 'development', '--approve', 'egress-wildcard', 'scope-sensitive']);
  });
});

describe('what went wrong, said plainly', () => {
  it('logged out: one line naming forge login and FORGE_EMAIL/FORGE_API_TOKEN, and nothing is deployed', async () => {
    const { code, stderr } = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'logged-out' });
    expect(code).toBe(1);
    expect(stderr).toBe('Error: the Forge CLI is not logged in: run forge login, or set FORGE_EMAIL and FORGE_API_TOKEN (an API token from https://id.atlassian.com/manage-profile/security/api-tokens), then run this again.\n');
    expect(forgeRuns()).toEqual([]);
  });

  it('a network forge cannot reach is a network failure, not a login problem', async () => {
    const { code, stderr } = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'network', FORGE_EMAIL: 'dev@example.com', FORGE_API_TOKEN: 'token' });
    expect(code).toBe(1);
    expect(stderr).toBe("Error: the Forge CLI could not reach Atlassian (https://api.atlassian.com/graphql: getaddrinfo ENOTFOUND api.atlassian.com): check this machine's network (and proxy), then run this again.\n");
    expect(calls()[0].argv).toEqual(['whoami', '--verbose']);
    expect(forgeRuns()).toEqual([]);
  });

  it('credentials Atlassian refuses: FORGE_EMAIL/FORGE_API_TOKEN named when they are set, else forge login', async () => {
    const withEnv = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'rejected', FORGE_EMAIL: 'dev@example.com', FORGE_API_TOKEN: 'token' });
    expect(withEnv.stderr).toMatch(/^Error: Atlassian did not accept FORGE_EMAIL and FORGE_API_TOKEN: check both/);
    const saved = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'rejected' });
    expect(saved.stderr).toMatch(/^Error: Atlassian did not accept the Forge CLI's login: run forge login/);
    expect(forgeRuns()).toEqual([]);
  });

  it('the first-run analytics question without a terminal: the setting that answers it, and nothing deployed', async () => {
    const { code, stderr } = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'analytics' });
    expect(code).toBe(1);
    expect(stderr).toBe('Error: the Forge CLI asks once whether to share usage analytics, and cannot ask without a terminal: run forge settings set usage-analytics false (or true) once, or set FORGE_DISABLE_ANALYTICS=1, then run this again.\n');
    expect(forgeRuns()).toEqual([]);
  });

  it('the analytics question at a terminal is left to forge to ask (the login check alone skips it)', async () => {
    const { stdout } = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'analytics' }, { interactive: true });
    expect(stdout).toContain('Note: the Forge CLI will ask once whether to share usage analytics');
    expect(calls().filter((c) => c.argv[0] === 'whoami').map((c) => c.FORGE_DISABLE_ANALYTICS)).toEqual([undefined, '1']);
    expect(forgeRuns().map((c) => [c.argv, c.FORGE_DISABLE_ANALYTICS])).toEqual([[['deploy'], undefined]]);
  });

  it('a question forge cannot ask during the deploy is named as such', async () => {
    // The fake asks during deploy too (its stdin here is not a terminal), as forge would in CI.
    const { code, stderr } = await run('deploy', [], { FAKE_FORGE_WHOAMI: 'analytics' }, { interactive: true });
    expect(code).toBe(1);
    expect(stderr).toContain('forge deploy asked a question (above) and there is no terminal to answer it');
  });

  it('Node.js: one line when forge warns (it supports 22 and 24), and a refusal stops before deploying', async () => {
    const warned = await run('deploy', [], { FAKE_FORGE_NODE: 'warn' });
    expect(warned.code).toBe(0);
    expect(warned.stdout.match(/^Note: the Forge CLI supports Node\.js 22 and 24.*$/gm)).toHaveLength(1);
    const refused = await run('deploy', [], { FAKE_FORGE_NODE: 'refuse' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('Error: the Forge CLI refuses Node.js v22.23.1 (it requires >=20.18.1 <22.23.1 || >22.23.1 <24.17.0 || >24.17.0): the Forge CLI supports Node.js 22 and 24 (the app itself runs on 20.19+); e.g. nvm install 24, then run this again.\n');
    expect(forgeRuns()).toHaveLength(1);
  });
});

describe('exit codes: a failure is a failure even where forge exits 0', () => {
  it('forge install before any deploy (forge prints an error and exits 0) exits 1, with forge’s message shown', async () => {
    const { code, stdout, stderr } = await run('install', ['--site', 'acme.atlassian.net'], { FAKE_FORGE_RESULT: 'no-deployment' });
    expect(code).toBe(1);
    expect(stdout).toContain(FORGE_TEXTS.noDeployment);
    expect(stderr).toBe('Error: nothing is deployed to that environment yet: run npm run forge:deploy first (with the same -e), then this again.\n');
  });

  it('a deploy forge ends without deploying (a declined question) exits 1 and is not remembered as deployed', async () => {
    const declined = await run('deploy', [], { FAKE_FORGE_RESULT: 'declined' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('forge deploy exited 0 without saying "Deployed"');
    writeFileSync(path.join(cwd, '.env.local'), 'APP_URL=https://second-words.trycloudflare.com\nCONNECT_KEY=com.example.connect-next.dev\n');
    expect((await run('deploy')).stdout).not.toContain('changes from');
  });

  it('a successful install exits 0', async () => {
    const { code, stdout } = await run('install', ['--site', 'acme.atlassian.net']);
    expect(code).toBe(0);
    expect(stdout).toContain(FORGE_TEXTS.installed);
  });
});

describe('npm run forge:install', () => {
  it('installs the environment on the site, with the same manifest variables', async () => {
    const { code } = await run('install', ['--site', 'acme.atlassian.net']);
    expect(code).toBe(0);
    expect(forgeRuns()).toEqual([{
      argv: ['install', '--site', 'acme.atlassian.net', '--product', 'jira'],
      cwd: manifestDir(), APP_URL: 'https://first-words.trycloudflare.com', CONNECT_KEY: 'com.example.connect-next.dev',
    }]);
  });

  it('takes the site from ATLASSIAN_SITE, infers Confluence from /wiki, and upgrades with --upgrade', async () => {
    await run('install', ['--upgrade'], { ATLASSIAN_SITE: 'https://acme.atlassian.net/wiki' });
    expect(forgeRuns()[0].argv).toEqual(['install', '--site', 'acme.atlassian.net', '--product', 'confluence', '--upgrade']);
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
    expect(stdout).toContain('Deploying forge/connect-on-forge/manifest.yml to your default development environment');
    expect(forgeRuns()).toHaveLength(1);
  }, 60_000);
});
