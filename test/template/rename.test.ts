/**
 * `npm run rename` and the identity module it shares with `npx create-connect-next`: what a clone of the
 * template changes to become its own app, run for real on a copy of this repository's files.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_KEY_PATTERN as DESCRIPTOR_KEY_PATTERN, descriptorProblems } from '@/lib/connect/descriptor';
import {
  APP_KEY_PATTERN,
  applyIdentity,
  checkAppKey,
  defaultAppKeyFor,
  IdentityError,
  packageNameFrom,
  readIdentity,
  titleFrom,
} from '../../scripts/template/identity.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Every file the identity lives in, plus the scripts that change it. */
const FILES = ['atlassian-connect.json', 'package.json', 'package-lock.json', 'README.md', 'app/layout.tsx', 'scripts/rename.mjs', 'scripts/template/identity.mjs'];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'connect-next-rename-'));
  for (const file of FILES) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(dir, file));
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
const json = (file: string) => JSON.parse(read(file));
const snapshot = () => Object.fromEntries(FILES.map((f) => [f, read(f)]));

async function rename(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(dir, 'scripts/rename.mjs'), ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run rename', () => {
  it('sets the key and name in the descriptor, the package name, the README title and the page title, and says so', async () => {
    const { code, stdout } = await rename('--key', 'org.example.renamed-by-test', '--name', 'Renamed By Test');
    expect(code).toBe(0);
    expect(json('atlassian-connect.json')).toMatchObject({ key: 'org.example.renamed-by-test', name: 'Renamed By Test' });
    expect(json('package.json').name).toBe('renamed-by-test');
    expect(json('package-lock.json')).toMatchObject({ name: 'renamed-by-test', packages: { '': { name: 'renamed-by-test' } } });
    expect(read('README.md').split('\n')[0]).toBe('# Renamed By Test');
    expect(read('app/layout.tsx')).toContain("title: 'Renamed By Test',");
    for (const line of ['atlassian-connect.json key', 'atlassian-connect.json name', 'package.json name', 'package-lock.json packages[""].name', 'README.md title', 'app/layout.tsx metadata.title']) {
      expect(stdout).toContain(line);
    }
    expect(stdout).toContain('→ org.example.renamed-by-test');
  });

  it('leaves a descriptor the app accepts, in the same JSON format', async () => {
    const before = read('atlassian-connect.json');
    await rename('--key', 'org.example.renamed-by-test', '--name', 'Renamed By Test');
    expect(descriptorProblems(json('atlassian-connect.json'))).toEqual([]);
    const renamed = read('atlassian-connect.json').replace('"org.example.renamed-by-test"', `"${JSON.parse(before).key}"`).replace('"Renamed By Test"', `"${JSON.parse(before).name}"`);
    expect(renamed).toBe(before);
  });

  it('is idempotent: the second run changes nothing and says so', async () => {
    await rename('--key', 'org.example.renamed-by-test', '--name', 'Renamed By Test');
    const after = snapshot();
    const { code, stdout } = await rename('--key', 'org.example.renamed-by-test', '--name', 'Renamed By Test');
    expect(code).toBe(0);
    expect(stdout).toContain('Nothing to change');
    expect(snapshot()).toEqual(after);
  });

  it.each([['has spaces'], ['com.acme/notes'], ['x'.repeat(65)], ['']])('refuses the invalid key %j and changes nothing', async (key) => {
    const before = snapshot();
    const { code, stderr } = await rename('--key', key, '--name', 'Renamed By Test');
    expect(code).toBe(1);
    expect(stderr).toContain('is not a valid app key');
    expect(snapshot()).toEqual(before);
  });

  it('takes --package for the npm name, and changes only what it is given', async () => {
    const { code } = await rename('--package', '@acme/notes-app');
    expect(code).toBe(0);
    expect(json('package.json').name).toBe('@acme/notes-app');
    expect(readIdentity(dir)).toMatchObject({ key: readIdentity(ROOT).key, name: readIdentity(ROOT).name });
  });

  it('without options prints the usage and the current identity', async () => {
    const { code, stdout } = await rename();
    expect(code).toBe(2);
    expect(stdout).toContain('Usage: npm run rename');
    expect(stdout).toContain(`key ${readIdentity(ROOT).key}`);
  });

  it('keeps a page title that was edited by hand', async () => {
    writeFileSync(path.join(dir, 'app/layout.tsx'), read('app/layout.tsx').replace(/title: '[^']*'/, "title: 'My own title'"));
    await rename('--name', 'Renamed By Test');
    expect(read('app/layout.tsx')).toContain("title: 'My own title'");
  });
});

describe('the identity module', () => {
  it('validates app keys with the same rule as the descriptor', () => {
    expect(String(APP_KEY_PATTERN)).toBe(String(DESCRIPTOR_KEY_PATTERN));
    expect(checkAppKey('com.acme_notes-2')).toBe('com.acme_notes-2');
    expect(() => checkAppKey('com.acme notes')).toThrow(IdentityError);
  });

  it('derives a package name, a display name and a placeholder key from a folder name', () => {
    expect(packageNameFrom('Acme Notes!')).toBe('acme-notes');
    expect(packageNameFrom('Ünïcode App')).toBe('unicode-app');
    expect(packageNameFrom('***')).toBe('connect-app');
    expect(titleFrom('acme-notes')).toBe('Acme Notes');
    expect(defaultAppKeyFor('acme-notes')).toBe('com.example.acme-notes');
    expect(checkAppKey(defaultAppKeyFor('x'.repeat(100)))).toHaveLength(64);
  });

  it('escapes a name with quotes in the page title', () => {
    applyIdentity(dir, { name: "Bob's \\ Notes" });
    expect(read('app/layout.tsx')).toContain("title: 'Bob\\'s \\\\ Notes',");
    expect(json('atlassian-connect.json').name).toBe("Bob's \\ Notes");
  });
});
