import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_OUT, GENERATED_HEADER, runForgeManifestCommand, type CommandIO } from '@/scripts/forge/manifest-command';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';
const FIXTURE = path.resolve(__dirname, 'fixtures/descriptor.json');
const EXPECTED = readFileSync(path.resolve(__dirname, 'fixtures/manifest.expected.yml'), 'utf8');
const ROOT = path.resolve(__dirname, '../..');

/** A Forge-native manifest as forge/manifest.yml holds one: a Custom UI panel calling the same backend. */
const NATIVE = `app:
  id: ${APP_ID}
  runtime:
    name: nodejs24.x
modules:
  jira:issuePanel:
    - key: notes-panel-forge
      title: Notes
      icon: resource:panel;icon.svg
      resource: panel
      resolver:
        endpoint: ui
  endpoint:
    - key: ui
      remote: backend
remotes:
  - key: backend
    baseUrl: \${APP_URL}
    operations:
      - compute
      - storage
    storage:
      inScopeEUD: true
resources:
  - key: panel
    path: static/panel
permissions:
  scopes:
    - read:jira-work
environment:
  variables:
    - APP_URL
`;

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
const fixtureArgs = ['--app-id', APP_ID, '--descriptor', FIXTURE];

describe('npm run forge:manifest', () => {
  it('writes forge/connect-on-forge/manifest.yml, identical to the reviewed expected manifest', async () => {
    const { code, stdout, stderr } = await run(fixtureArgs);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(written()).toBe(EXPECTED);
    expect(stdout).toContain('Wrote forge/connect-on-forge/manifest.yml');
    expect(stdout).toContain('jira:webPanels (1), jira:generalPages (1), jira:webhooks (2)');
  }, 60_000);

  it('holds no URL and no per-environment key: ${APP_URL} and ${CONNECT_KEY}, declared as manifest variables', async () => {
    expect((await run(fixtureArgs, { APP_URL: 'https://one.trycloudflare.com' })).code).toBe(0);
    const first = written();
    expect((await run(fixtureArgs, { APP_URL: 'https://two.trycloudflare.com', CONNECT_KEY: 'com.example.other' })).code).toBe(0);
    expect(written()).toBe(first);
    const manifest = parse(first);
    expect(manifest.app.connect.key).toBe('${CONNECT_KEY}');
    expect(manifest.remotes[0].baseUrl).toBe('${APP_URL}');
    expect(manifest.environment.variables).toEqual([{ key: 'CONNECT_KEY', default: 'com.example.connect-next' }, 'APP_URL']);
  });

  it('takes the app id from FORGE_APP_ID when no flag is given', async () => {
    const { code } = await run(['--descriptor', FIXTURE], { FORGE_APP_ID: APP_ID });
    expect(code).toBe(0);
    expect(written()).toBe(EXPECTED);
  });

  it('translates the committed atlassian-connect.json by default', async () => {
    const { code } = await run(['--app-id', APP_ID]);
    expect(code).toBe(0);
    const key = JSON.parse(readFileSync(new URL('../../atlassian-connect.json', import.meta.url), 'utf8')).key;
    expect(parse(written()).environment.variables[0]).toEqual({ key: 'CONNECT_KEY', default: key });
  });

  it('declares connectToForgeMigration when given the migration plan URL', async () => {
    const { code } = await run([...fixtureArgs, '--migration-guide-url', 'https://example.com/notes/forge-plan', '--will-migrate', 'yes']);
    expect(code).toBe(0);
    expect(parse(written()).modules).toEqual({
      connectToForgeMigration: [{ key: 'connect-to-forge-migration', migrationGuideUrl: 'https://example.com/notes/forge-plan', willMigrateToForgeBeforeEOS: 'YES' }],
    });
  });

  it('refuses a migration plan URL that is not https, and an answer Forge does not know', async () => {
    expect((await run([...fixtureArgs, '--migration-guide-url', 'http://example.com/plan'])).stderr).toContain('--migration-guide-url must be an https URL');
    expect((await run([...fixtureArgs, '--migration-guide-url', 'https://example.com/plan', '--will-migrate', 'maybe'])).code).toBe(2);
    expect((await run([...fixtureArgs, '--will-migrate', 'YES'])).code).toBe(2);
  });

  it('--native merges a Forge-native manifest: one app, one remote, resources rebased, valid for @forge/manifest', async () => {
    const nativeDir = path.join(cwd, 'forge');
    mkdirSync(path.join(nativeDir, 'static/panel'), { recursive: true });
    writeFileSync(path.join(nativeDir, 'static/panel/index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(nativeDir, 'static/panel/icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(nativeDir, 'manifest.yml'), NATIVE);
    const { code, stderr, stdout } = await run([...fixtureArgs, '--native', 'forge/manifest.yml'], { APP_URL: 'https://notes.example.com' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Forge modules: jira:issuePanel, endpoint');
    const merged = parse(written());
    expect(merged.app.connect).toEqual({ key: '${CONNECT_KEY}', remote: 'backend' });
    expect(merged.remotes).toEqual([{ key: 'backend', baseUrl: '${APP_URL}', operations: ['compute', 'storage', 'fetch'], storage: { inScopeEUD: true }, auth: { appSystemToken: { enabled: true } } }]);
    expect(merged.resources).toEqual([{ key: 'panel', path: '../static/panel' }]);
    expect(merged.permissions.scopes).toEqual(['read:connect-jira', 'act-as-user:connect-jira', 'read:app-system-token', 'read:jira-work']);
    expect(merged.permissions.external.fetch.backend).toEqual([{ remote: 'backend' }]);
    expect(Object.keys(merged.connectModules)).toEqual(['jira:lifecycle', 'jira:webPanels', 'jira:generalPages', 'jira:webhooks']);
    expect(merged.modules['jira:issuePanel'][0].key).toBe('notes-panel-forge');
  });

  it('--native refuses a merge whose module keys collide, writing nothing', async () => {
    mkdirSync(path.join(cwd, 'forge/static/panel'), { recursive: true });
    writeFileSync(path.join(cwd, 'forge/static/panel/index.html'), '<!doctype html>');
    writeFileSync(path.join(cwd, 'forge/static/panel/icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(cwd, 'forge/manifest.yml'), NATIVE.replace('key: notes-panel-forge', 'key: issue-notes-panel'));
    const { code, stderr } = await run([...fixtureArgs, '--native', 'forge/manifest.yml']);
    expect(code).toBe(1);
    expect(stderr).toContain("duplicate module key 'issue-notes-panel'");
    expect(existsSync(path.join(cwd, DEFAULT_OUT))).toBe(false);
  });

  it('prints the warnings: what was not carried over and why', async () => {
    const descriptor = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    descriptor.modules.jiraGlobalPermissions = [{ key: 'notes-admin', name: { value: 'Notes admin' } }];
    writeFileSync(path.join(cwd, 'd.json'), JSON.stringify(descriptor));
    const { code, stdout } = await run(['--app-id', APP_ID, '--descriptor', 'd.json']);
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
    expect(existsSync(path.join(cwd, 'forge'))).toBe(false);
  });

  it('--connect-only keeps to what the Connect app already had: Connect scopes and a plain remote', async () => {
    expect((await run([...fixtureArgs, '--connect-only'])).code).toBe(0);
    const yaml = written();
    expect(yaml).toContain('remotes:\n  - key: connect\n    baseUrl: ${APP_URL}\npermissions:\n  scopes:\n    - read:connect-jira\n    - act-as-user:connect-jira\nconnectModules:');
  });

  it('refuses without an app id, saying how to get one', async () => {
    const { code, stderr } = await run([]);
    expect(code).toBe(1);
    expect(stderr).toContain('FORGE_APP_ID');
    expect(stderr).toContain('forge register');
  });

  it('--unregistered writes the placeholder id `forge register` replaces, and says what to do next', async () => {
    const { code, stdout } = await run(['--unregistered']);
    expect(code).toBe(0);
    expect(written()).toContain('id: ari:cloud:ecosystem::app/invalid-run-forge-register');
    expect(stdout).toContain('cd forge/connect-on-forge && forge register');
  });

  it('refuses an app id that is not ari:cloud:ecosystem::app/<uuid>, naming the flag', async () => {
    const { code, stderr } = await run(['--app-id', 'ari:cloud:ecosystem::app/invalid-run-forge-register']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: --app-id must be a Forge app id/);
  });

  it('writes nothing when the manifest would be invalid', async () => {
    const { code, stderr } = await run([...fixtureArgs, '--runtime', 'python3.12']);
    expect(code).toBe(1);
    expect(stderr).toContain("runtime property name 'python3.12' allowed values are");
    expect(existsSync(path.join(cwd, DEFAULT_OUT))).toBe(false);
  });

  it('does not overwrite a manifest it did not generate, unless --force', async () => {
    mkdirSync(path.join(cwd, path.dirname(DEFAULT_OUT)), { recursive: true });
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
