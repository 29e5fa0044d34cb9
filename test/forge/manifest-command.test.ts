import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_OUT, GENERATED_HEADER, runForgeManifestCommand, type CommandIO } from '@/lib/forge/manifest-command';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';
const FIXTURE = path.resolve(__dirname, 'fixtures/descriptor.json');
const EXPECTED = readFileSync(path.resolve(__dirname, 'fixtures/manifest.expected.yml'), 'utf8');
const ROOT = path.resolve(__dirname, '../..');

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'forge-manifest-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    env: { ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), ...env },
    cwd,
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
  };
  const code = await runForgeManifestCommand(args, io);
  return { code, stdout, stderr };
}

const written = () => readFileSync(path.join(cwd, DEFAULT_OUT), 'utf8');
const fixtureArgs = ['--app-id', APP_ID, '--base-url', 'https://notes.example.com', '--descriptor', FIXTURE];

describe('npm run forge:manifest', () => {
  it('writes forge/manifest.yml, identical to the reviewed expected manifest', async () => {
    const { code, stdout, stderr } = await run(fixtureArgs);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(written()).toBe(EXPECTED);
    expect(stdout).toContain('Wrote forge/manifest.yml');
    expect(stdout).toContain('jira:webPanels (1), jira:generalPages (1), jira:webhooks (2)');
  });

  it('takes the app id from FORGE_APP_ID and the URL from APP_URL when no flag is given', async () => {
    const { code } = await run(['--descriptor', FIXTURE], { FORGE_APP_ID: APP_ID, APP_URL: 'https://notes.example.com/' });
    expect(code).toBe(0);
    expect(written()).toBe(EXPECTED);
  });

  it('translates the committed atlassian-connect.json by default', async () => {
    const { code } = await run(['--app-id', APP_ID, '--base-url', 'https://notes.example.com']);
    expect(code).toBe(0);
    expect(written()).toContain(`key: ${JSON.parse(readFileSync(new URL('../../atlassian-connect.json', import.meta.url), 'utf8')).key}`);
  });

  it('prints the warnings: what was not carried over and why', async () => {
    const descriptor = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    descriptor.modules.jiraGlobalPermissions = [{ key: 'notes-admin', name: { value: 'Notes admin' } }];
    writeFileSync(path.join(cwd, 'd.json'), JSON.stringify(descriptor));
    const { code, stdout } = await run(['--app-id', APP_ID, '--base-url', 'https://notes.example.com', '--descriptor', 'd.json']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Warnings \(4\):/);
    expect(stdout).toContain('- [MODULE_NOT_CARRIED] modules.jiraGlobalPermissions: ');
    expect(stdout).toContain('- [BEHAVIOUR_CHANGES] lifecycle.enabled: ');
  });

  it('--stdout prints the manifest and keeps the report on stderr', async () => {
    const { code, stdout, stderr } = await run([...fixtureArgs, '--stdout']);
    expect(code).toBe(0);
    expect(stdout).toBe(EXPECTED);
    expect(stderr).toContain('Connect modules carried over');
    expect(existsSync(path.join(cwd, DEFAULT_OUT))).toBe(false);
  });

  it('--connect-only keeps to what the Connect app already had: Connect scopes and a plain remote', async () => {
    expect((await run([...fixtureArgs, '--connect-only'])).code).toBe(0);
    const yaml = written();
    expect(yaml).toContain('remotes:\n  - key: connect\n    baseUrl: https://notes.example.com\npermissions:\n  scopes:\n    - read:connect-jira\n    - act-as-user:connect-jira\nconnectModules:');
  });

  it('refuses without an app id, saying how to get one', async () => {
    const { code, stderr } = await run(['--base-url', 'https://notes.example.com']);
    expect(code).toBe(1);
    expect(stderr).toContain('FORGE_APP_ID');
    expect(stderr).toContain('forge register');
  });

  it('--unregistered writes the placeholder id `forge register` replaces, and says what to do next', async () => {
    const { code, stdout } = await run(['--unregistered', '--base-url', 'https://notes.example.com']);
    expect(code).toBe(0);
    expect(written()).toContain('id: ari:cloud:ecosystem::app/invalid-run-forge-register');
    expect(stdout).toContain('cd forge && forge register');
  });

  it('refuses an app id that is not ari:cloud:ecosystem::app/<uuid>, naming the flag', async () => {
    const { code, stderr } = await run(['--app-id', 'ari:cloud:ecosystem::app/invalid-run-forge-register', '--base-url', 'https://notes.example.com']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: --app-id must be a Forge app id/);
  });

  it('refuses the local development URL: Forge reaches the app over public https', async () => {
    const { code, stderr } = await run(['--app-id', APP_ID]);
    expect(code).toBe(1);
    expect(stderr).toContain('APP_URL is http://localhost:3000');
    expect((await run(['--app-id', APP_ID, '--base-url', 'http://notes.example.com'])).code).toBe(1);
  });

  it('writes nothing when the manifest would be invalid', async () => {
    const { code, stderr } = await run([...fixtureArgs, '--runtime', 'python3.12']);
    expect(code).toBe(1);
    expect(stderr).toContain('"app.runtime.name"');
    expect(existsSync(path.join(cwd, DEFAULT_OUT))).toBe(false);
  });

  it('does not overwrite a manifest it did not generate, unless --force', async () => {
    mkdirSync(path.join(cwd, 'forge'));
    writeFileSync(path.join(cwd, DEFAULT_OUT), 'app:\n  id: hand-written\nmodules: {}\n');
    const refused = await run(fixtureArgs);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--force');
    expect(written()).toContain('hand-written');
    expect((await run([...fixtureArgs, '--force'])).code).toBe(0);
    expect(written()).toBe(EXPECTED);
  });

  it('regenerates over its own output', async () => {
    writeFileSync(path.join(cwd, 'out.yml'), `${GENERATED_HEADER}\nold: true\n`);
    expect((await run([...fixtureArgs, '--out', 'out.yml'])).code).toBe(0);
    expect(readFileSync(path.join(cwd, 'out.yml'), 'utf8')).toBe(EXPECTED);
  });

  it('answers an unknown flag with usage (exit 2)', async () => {
    const { code, stderr } = await run(['--app', APP_ID]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: npm run forge:manifest');
  });

  it('runs as a Node script: scripts/forge-manifest.mjs loads the TypeScript itself', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/forge-manifest.mjs'), ...fixtureArgs, '--stdout'], {
      cwd: ROOT,
      env: { ...process.env, FORGE_APP_ID: '', APP_URL: '' },
    });
    expect(stdout).toBe(EXPECTED);
  }, 30_000);
});
