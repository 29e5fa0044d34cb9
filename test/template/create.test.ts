/**
 * `npx create-connect-next`, for real: the package is packed (its prepack builds the template from this
 * checkout), run from the tarball with npx into a temporary folder, and the project it makes is checked
 * and tested.
 *
 * Offline and time-bounded: the generated project borrows this repository's node_modules (a symlink)
 * instead of a full `npm install`, which needs the registry and compiles better-sqlite3 (~3 minutes here).
 * It then runs its own `postinstall` (the Prisma clients, the UI build), type-checks, and runs the part of its test suite
 * that proves the new identity is coherent (descriptor, install policy and lifecycle with the new key,
 * Forge manifest, rename). That the installer would run is checked with a fake package manager on PATH.
 *
 * Not shipped in the template: it needs this package's source (scripts/build-template.mjs excludes it).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PACKAGE_DIR = path.join(ROOT, 'packages/create-connect-next');
const run = promisify(execFile);

let work: string;
let tarball: string;
/** The unpacked package, to run its bin and import its code without npx. */
let unpacked: string;
let fakeBin: string;
let record: string;
const timings: Record<string, number> = {};

/** A commit needs an identity; CI machines often have none. */
const gitIdentity = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...gitIdentity, PATH: `${fakeBin}${path.delimiter}${process.env.PATH}`, FAKE_PM_RECORD: record, ...extra };
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[label] = Date.now() - started;
  }
}

/** Runs a command; resolves with its exit code and output, whatever the code. */
async function exec(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, maxBuffer: 32 * 1024 * 1024, timeout: options.timeout ?? 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}${typeof e.code === 'string' ? e.code : ''}` };
  }
}

/** `npx --yes --package <tarball> create-connect-next <args>` in the work folder. */
function npx(args: string[], extraEnv: Record<string, string> = {}) {
  return exec('npx', ['--yes', '--package', tarball, 'create-connect-next', ...args], { cwd: work, env: env(extraEnv) });
}

/** The unpacked bin, run with node directly (to set the user agent npx would overwrite). */
function bin(args: string[], extraEnv: Record<string, string> = {}) {
  return exec(process.execPath, [path.join(unpacked, 'bin/create-connect-next.mjs'), ...args], { cwd: work, env: env(extraEnv) });
}

const recorded = () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n') : []);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'create-connect-next-'));
  record = path.join(work, 'package-manager-calls.txt');
  // Stand-ins for npm and pnpm that only record how they were called.
  fakeBin = path.join(work, 'fake-bin');
  mkdirSync(fakeBin);
  for (const pm of ['npm', 'pnpm']) {
    writeFileSync(path.join(fakeBin, pm), `#!/bin/sh\necho "${pm}|$PWD|$*" >> "$FAKE_PM_RECORD"\n`);
    chmodSync(path.join(fakeBin, pm), 0o755);
  }
  const packed = await timed('npm pack', () => exec('npm', ['pack', '--pack-destination', work], { cwd: PACKAGE_DIR }));
  expect(packed.code, packed.stderr).toBe(0);
  // postpack removes the template prepack built: no second copy of the app stays in the repository.
  expect(existsSync(path.join(PACKAGE_DIR, 'template'))).toBe(false);
  tarball = path.join(work, packed.stdout.trim().split('\n').pop() as string);
  unpacked = path.join(work, 'unpacked');
  mkdirSync(unpacked);
  await run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
}, 120_000);

afterAll(() => {
  console.log(`create-connect-next timings (ms): ${JSON.stringify(timings)}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the create-connect-next package', () => {
  it('ships the template inside the package, with the dotfiles npm would strip renamed, and nothing of its own repository', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 8 * 1024 * 1024 });
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining([
      'bin/create-connect-next.mjs', 'lib/create.mjs', 'template/atlassian-connect.json', 'template/package-lock.json',
      'template/gitignore', 'template/.env.example', 'template/scripts/template/identity.mjs', 'template/vercel.json',
    ]));
    expect(files.filter((f) => /^template\/(packages|\.ci|node_modules|\.data|\.next)\//.test(f) || f.endsWith('/.gitignore'))).toEqual([]);
    expect(files).not.toContain('template/test/template/create.test.ts');
    expect(JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8')).bin).toEqual({ 'create-connect-next': 'bin/create-connect-next.mjs' });
  });
});

describe('npx create-connect-next acme-notes --yes --skip-install', () => {
  let project: string;
  let result: Awaited<ReturnType<typeof npx>>;
  const read = (file: string) => readFileSync(path.join(project, file), 'utf8');

  beforeAll(async () => {
    project = path.join(work, 'acme-notes');
    result = await timed('npx create-connect-next', () => npx(['acme-notes', '--yes', '--skip-install', '--key', 'com.acme.notes', '--name', 'Acme Notes', '--db', 'sqlite']));
  }, 120_000);

  it('succeeds offline and prints the next steps', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Created Acme Notes in ${project}`);
    expect(result.stdout).toMatch(/Next:\n {2}cd acme-notes\n {2}npm install\n {2}npm run dev/);
  });

  it('honours --skip-install: no package manager ran, no node_modules', () => {
    expect(recorded()).toEqual([]);
    expect(existsSync(path.join(project, 'node_modules'))).toBe(false);
  });

  it('gives the project its identity: package name, descriptor key and name, README and page titles', () => {
    expect(JSON.parse(read('package.json')).name).toBe('acme-notes');
    expect(JSON.parse(read('package-lock.json')).packages[''].name).toBe('acme-notes');
    expect(JSON.parse(read('atlassian-connect.json'))).toMatchObject({ key: 'com.acme.notes', name: 'Acme Notes' });
    expect(read('README.md').split('\n')[0]).toBe('# Acme Notes');
    expect(read('app/layout.tsx')).toContain("title: 'Acme Notes'");
  });

  it('restores .gitignore and leaves out what belongs to the template repository', () => {
    expect(read('.gitignore')).toContain('.env');
    expect(existsSync(path.join(project, 'gitignore'))).toBe(false);
    for (const absent of ['packages', '.ci', 'test/template/create.test.ts']) expect(existsSync(path.join(project, absent)), absent).toBe(false);
  });

  it('writes .env with a freshly generated ENCRYPTION_KEY and the SQLite DATABASE_URL, and keeps it out of git', async () => {
    const dotenv = read('.env');
    const key = /^ENCRYPTION_KEY=(.+)$/m.exec(dotenv)?.[1] ?? '';
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(read('.env.example')).not.toContain(key);
    expect(dotenv).toMatch(/^DATABASE_URL=file:\.\/\.data\/dev\.db$/m);
    // Nothing else is assigned: an empty assignment would count as set (e.g. turn the simulator's auto-install off).
    expect(dotenv.match(/^[A-Z_]+=/gm)).toEqual(['DATABASE_URL=', 'ENCRYPTION_KEY=']);
    expect((await exec('git', ['check-ignore', '.env'], { cwd: project })).code).toBe(0);
  });

  it('creates a git repository with one commit and nothing left over', async () => {
    expect((await run('git', ['log', '--format=%s'], { cwd: project })).stdout.trim()).toBe('Initial commit from create-connect-next');
    expect((await run('git', ['status', '--porcelain'], { cwd: project })).stdout).toBe('');
    expect((await run('git', ['ls-files', '.env'], { cwd: project })).stdout).toBe('');
  });

  it("passes its own type check and the tests that depend on its identity", async () => {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
    const node = (args: string[], timeout = 180_000) => exec(process.execPath, args, { cwd: project, env: { ...process.env, CI: '1' }, timeout });
    // Its own postinstall (the Prisma clients, the UI bundles and the names the iframe pages' shells load), step by step.
    const postinstall: string[] = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')).scripts.postinstall.split(' && ');
    expect(postinstall).toEqual(['node scripts/db/generate.mjs', 'node scripts/ui-build.mjs']);
    for (const command of postinstall) {
      const generated = await timed(`generated: ${command}`, () => node(command.split(' ').slice(1)));
      expect(generated.code, generated.stderr).toBe(0);
    }
    const [typecheck, tests] = await Promise.all([
      timed('generated: tsc', () => node(['node_modules/typescript/bin/tsc', '--noEmit'])),
      timed('generated: vitest', () => node(['node_modules/vitest/vitest.mjs', 'run',
        'test/config', 'test/connect/descriptor.test.ts', 'test/connect/lifecycle-payload.test.ts', 'test/connect/host-client.test.ts',
        'test/lifecycle', 'test/forge/manifest-command.test.ts', 'test/template/rename.test.ts'])),
    ]);
    expect(typecheck.code, typecheck.stdout + typecheck.stderr).toBe(0);
    expect(tests.code, tests.stdout.slice(-4000) + tests.stderr.slice(-2000)).toBe(0);
    expect(tests.stdout).toMatch(/Test Files .*\d+ passed/);
  }, 300_000);
});

describe('installing dependencies', () => {
  it('runs the install of the package manager that ran it: npm under npx', async () => {
    const { code, stderr } = await npx(['with-npm', '--yes', '--no-git', '--key', 'com.acme.npm']);
    expect(code, stderr).toBe(0);
    expect(recorded()).toContain(`npm|${path.join(work, 'with-npm')}|install`);
    expect(existsSync(path.join(work, 'with-npm/package-lock.json'))).toBe(true);
    expect(existsSync(path.join(work, 'with-npm/.git'))).toBe(false);
  }, 120_000);

  it('pnpm when pnpm ran it (npm_config_user_agent), without npm\'s lock file', async () => {
    const { code, stdout, stderr } = await bin(['with-pnpm', '--yes', '--no-git'], { npm_config_user_agent: 'pnpm/9.12.0 npm/? node/v20.20.0 linux x64' });
    expect(code, stderr).toBe(0);
    expect(recorded()).toContain(`pnpm|${path.join(work, 'with-pnpm')}|install`);
    expect(existsSync(path.join(work, 'with-pnpm/package-lock.json'))).toBe(false);
    expect(stdout).toContain('pnpm dev');
  });
});

describe('what it refuses', () => {
  it('an invalid app key, before creating anything', async () => {
    const { code, stderr } = await bin(['bad-key', '--yes', '--skip-install', '--key', 'com.acme/notes']);
    expect(code).toBe(2);
    expect(stderr).toContain('is not a valid app key');
    expect(existsSync(path.join(work, 'bad-key'))).toBe(false);
  });

  it('a folder that is not empty, leaving it as it was', async () => {
    mkdirSync(path.join(work, 'taken'));
    writeFileSync(path.join(work, 'taken/notes.txt'), 'mine');
    const { code, stderr } = await bin(['taken', '--yes', '--skip-install']);
    expect(code).toBe(1);
    expect(stderr).toContain('is not empty');
    expect(readdirSync(path.join(work, 'taken'))).toEqual(['notes.txt']);
  });

  it('an unknown option or database, with the usage', async () => {
    expect(await bin(['x', '--db', 'mysql'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--db must be sqlite or postgres') });
    expect(await bin(['x', '--frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: npx create-connect-next') });
    expect(existsSync(path.join(work, 'x'))).toBe(false);
  });
});

describe('in a terminal', () => {
  it('asks for what the flags did not give, asks again after an invalid key, and takes the defaults on Enter', async () => {
    const { main } = await import(pathToFileURL(path.join(unpacked, 'lib/create.mjs')).href);
    const input = new PassThrough();
    const output = new PassThrough();
    const answers = ['asked-app', '', 'not a key!', 'com.acme.asked', 'postgres'];
    let transcript = '';
    output.on('data', (chunk: Buffer) => {
      transcript += chunk.toString();
      // Answer each question once it is asked (readline drops lines typed before a question).
      if (transcript.endsWith('): ') && answers.length) input.write(`${answers.shift()}\n`);
    });
    const code = await main(['--skip-install', '--no-git'], { cwd: work, input, output, errorOutput: output, interactive: true, env: env() });
    expect(code, transcript).toBe(0);
    expect(transcript).toContain('App name (Asked App): ');
    expect(transcript).toContain('"not a key!" is not a valid app key');
    const project = path.join(work, 'asked-app');
    expect(JSON.parse(readFileSync(path.join(project, 'atlassian-connect.json'), 'utf8'))).toMatchObject({ key: 'com.acme.asked', name: 'Asked App' });
    expect(readFileSync(path.join(project, '.env'), 'utf8')).toMatch(/^DATABASE_URL=postgresql:\/\/postgres@localhost:5432\/asked_app$/m);
    expect(transcript).toContain('createdb asked_app');
  });
});
