/**
 * Every manifest the template ships (forge/**\/manifest*.yml) or generates (`npm run forge:manifest` in each
 * mode, and merged with the shipped Forge-native manifest) passes Atlassian's validator, @forge/manifest, with
 * the manifest variables set as `npm run forge:deploy` sets them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runForgeManifestCommand } from '@/scripts/forge/manifest-command';
import { validateManifestFile } from '@/scripts/forge/validate-manifest';

const ROOT = path.resolve(__dirname, '../..');
const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';
const ENV = { APP_URL: 'https://connect-next.example.com', CONNECT_KEY: undefined };
const NATIVE = path.join(ROOT, 'forge/manifest.yml');
const out = mkdtempSync(path.join(tmpdir(), 'generated-manifests-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function shipped(dir = path.join(ROOT, 'forge')): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : shipped(full);
    return /^manifest.*\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

let built = false;
/** Custom UI resources are build output (`npm run ui:build`): built once when a manifest names missing ones. */
async function check(file: string) {
  let result = await validateManifestFile(file, { env: ENV, unregistered: true });
  const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts ?? {};
  if (!built && result.errors.some((e) => /resource/i.test(e)) && scripts['ui:build']) {
    built = true;
    execFileSync('npm', ['run', 'ui:build'], { cwd: ROOT, stdio: 'ignore' });
    result = await validateManifestFile(file, { env: ENV, unregistered: true });
  }
  return result;
}

async function generate(name: string, args: string[]): Promise<string> {
  const file = path.join(out, name, 'manifest.yml');
  let stderr = '';
  const code = await runForgeManifestCommand(['--app-id', APP_ID, '--out', file, ...args], {
    env: { ...ENV },
    cwd: ROOT,
    stdout: () => {},
    stderr: (t) => { stderr += t; },
  });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return file;
}

describe('every manifest the template ships or generates is valid for @forge/manifest', () => {
  const files = shipped();
  if (!files.length) console.log('No forge/**/manifest*.yml in this tree: only generated manifests are checked.');

  it.each(files.map((f) => [path.relative(ROOT, f), f]))('shipped: %s', async (_, file) => {
    expect(await check(file)).toMatchObject({ errors: [] });
  }, 120_000);

  it.each<[string, string[]]>([
    ['Connect-on-Forge (the default)', []],
    ['Connect-on-Forge, --connect-only', ['--connect-only']],
    ['Connect-on-Forge with the migration declaration', ['--migration-guide-url', 'https://connect-next.example.com/forge-migration', '--will-migrate', 'YES']],
    ['Connect-on-Forge for Confluence', ['--product', 'confluence']],
  ])('generated: %s', async (name, args) => {
    expect(await check(await generate(name.replace(/\W+/g, '-'), args))).toMatchObject({ errors: [] });
  }, 120_000);

  it.runIf(existsSync(NATIVE))('generated: Connect-on-Forge merged with the shipped forge/manifest.yml (--native)', async () => {
    expect(await check(await generate('merged', ['--native', NATIVE, '--migration-guide-url', 'https://connect-next.example.com/forge-migration']))).toMatchObject({ errors: [] });
  }, 120_000);
});
