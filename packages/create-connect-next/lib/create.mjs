/**
 * `npx create-connect-next my-app`: a new Atlassian Connect app from the connect-next template, which ships
 * inside this package (template/, built at pack time), so it works offline.
 *
 * Steps: ask (or take flags), check, copy the template, give it its identity (the template's own
 * scripts/template/identity.mjs, the code `npm run rename` runs), write .env with a new encryption key,
 * install dependencies with the package manager that ran this, `git init` with a first commit, print what next.
 * Types: create.d.mts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { unpackedName } from './dotfiles.mjs';

export const DEFAULT_TEMPLATE_DIR = path.resolve(import.meta.dirname, '..', 'template');

export const USAGE = `Usage: npx create-connect-next <folder> [options]

Creates an Atlassian Connect app (Next.js + TypeScript) from the connect-next template.

Options:
  --name <name>         display name, e.g. "Acme Notes" (default: from the folder name)
  --key <app key>       Connect app key, e.g. com.acme.notes: letters, digits, "-", "." and "_", at most 64
                        (default: com.example.<folder>)
  --db sqlite|postgres  the development database (default: sqlite, a file in .data/)
  --database-url <url>  DATABASE_URL to write to .env (default: per --db)
  --skip-install        do not install dependencies
  --no-git              do not create a git repository
  -y, --yes             take the defaults for everything not given (no questions)
  -h, --help            show this help

Questions are asked only in a terminal; elsewhere (CI, pipes) the defaults are taken.`;

/** Where a value to show came from, and the exit codes. */
const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 };

export class CreateError extends Error {
  /** @param {string} message @param {number} [exitCode] */
  constructor(message, exitCode = EXIT.failed) {
    super(message);
    this.name = 'CreateError';
    this.exitCode = exitCode;
  }
}

/**
 * Runs the command; resolves with the exit code. Everything it touches comes from `context`, so tests can
 * run it with their own streams, environment and template.
 *
 * @param {string[]} argv
 * @param {import('./create.d.mts').CreateContext} [context]
 * @example process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv, context = {}) {
  const ctx = {
    cwd: context.cwd ?? process.cwd(),
    env: context.env ?? process.env,
    input: context.input ?? process.stdin,
    output: context.output ?? process.stdout,
    errorOutput: context.errorOutput ?? process.stderr,
    templateDir: context.templateDir ?? DEFAULT_TEMPLATE_DIR,
    interactive: context.interactive,
  };
  const say = (/** @type {string} */ text = '') => ctx.output.write(`${text}\n`);
  try {
    const options = parseOptions(argv);
    if (options.help) {
      say(USAGE);
      return EXIT.ok;
    }
    const identity = await loadIdentityModule(ctx.templateDir);
    const interactive = !options.yes && (ctx.interactive ?? Boolean(/** @type {any} */ (ctx.input).isTTY));
    const answers = await resolveAnswers(options, identity, { ...ctx, interactive });
    return await create(answers, identity, { ...ctx, say });
  } catch (err) {
    if (err instanceof CreateError) {
      ctx.errorOutput.write(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** @param {string[]} argv */
export function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        key: { type: 'string' },
        db: { type: 'string' },
        'database-url': { type: 'string' },
        'skip-install': { type: 'boolean' },
        // Declared as its own flag: parseArgs only understands --no-<flag> from Node 22.4.
        'no-git': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CreateError(`${/** @type {Error} */ (err).message}\n\n${USAGE}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new CreateError(`One folder at a time (got ${positionals.join(', ')}).\n\n${USAGE}`, EXIT.usage);
  if (values.db !== undefined && !['sqlite', 'postgres'].includes(values.db)) {
    throw new CreateError(`--db must be sqlite or postgres (got ${JSON.stringify(values.db)}).`, EXIT.usage);
  }
  return {
    folder: positionals[0],
    name: values.name,
    key: values.key,
    db: /** @type {'sqlite' | 'postgres' | undefined} */ (values.db),
    databaseUrl: values['database-url'],
    install: !values['skip-install'],
    git: !values['no-git'],
    yes: Boolean(values.yes),
    help: Boolean(values.help),
  };
}

/**
 * The template's identity module: the same code `npm run rename` runs in a project.
 * @param {string} templateDir
 * @returns {Promise<typeof import('../template/scripts/template/identity.mjs')>}
 */
async function loadIdentityModule(templateDir) {
  const file = path.join(templateDir, 'scripts', 'template', 'identity.mjs');
  if (!existsSync(file)) {
    throw new CreateError(`This copy of create-connect-next has no template (${templateDir}). ` +
      'Build it with `npm pack` in packages/create-connect-next (its prepack script), or `npm run build` there.');
  }
  return import(pathToFileURL(file).href);
}

/**
 * Fills in what the flags did not say: by asking in a terminal, from defaults otherwise. Invalid answers
 * are asked again; invalid flags stop here, before anything is written.
 */
async function resolveAnswers(options, identity, ctx) {
  const rl = ctx.interactive ? createInterface({ input: ctx.input, output: ctx.output, terminal: Boolean(ctx.input.isTTY) }) : null;
  // Ctrl-C while a question is open: leave quietly, nothing has been written yet.
  const interrupted = new Promise((_, reject) => rl?.on('SIGINT', () => reject(new CreateError('\nStopped: nothing was created.', EXIT.interrupted))));
  interrupted.catch(() => {});
  /**
   * @param {string} question @param {string} fallback @param {(v: string) => string} check
   * @returns {Promise<string>}
   */
  const ask = async (question, fallback, check) => {
    for (;;) {
      const line = await Promise.race([rl.question(`${question} (${fallback}): `), interrupted]);
      try {
        return check(line.trim() || fallback);
      } catch (err) {
        ctx.output.write(`  ${err.message}\n`);
      }
    }
  };
  const checked = (/** @type {() => string} */ fn) => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof identity.IdentityError) throw new CreateError(err.message, EXIT.usage);
      throw err;
    }
  };

  try {
    let folder = options.folder;
    if (folder === undefined) {
      if (!rl) throw new CreateError(`Name the folder to create, e.g. npx create-connect-next my-app\n\n${USAGE}`, EXIT.usage);
      folder = await ask('Folder for the new app', 'my-connect-app', (v) => v);
    }
    const target = path.resolve(ctx.cwd, folder);
    checkTarget(target);
    const packageName = identity.packageNameFrom(path.basename(target));

    const name = options.name !== undefined ? checked(() => identity.checkAppName(options.name))
      : rl ? await ask('App name', identity.titleFrom(packageName), identity.checkAppName)
        : identity.titleFrom(packageName);
    const key = options.key !== undefined ? checked(() => identity.checkAppKey(options.key))
      : rl ? await ask('App key (reverse domain, unique to your app)', identity.defaultAppKeyFor(packageName), identity.checkAppKey)
        : identity.defaultAppKeyFor(packageName);
    const db = options.db ?? (options.databaseUrl ? databaseOf(options.databaseUrl)
      : rl ? await ask('Development database, sqlite or postgres', 'sqlite', (v) => {
        if (v !== 'sqlite' && v !== 'postgres') throw new Error('Answer sqlite or postgres.');
        return v;
      }) : 'sqlite');
    const databaseUrl = options.databaseUrl ?? defaultDatabaseUrl(db, packageName);
    if (databaseOf(databaseUrl) !== db) throw new CreateError(`--database-url is not a ${db} URL.`, EXIT.usage);
    return { target, folder, packageName, name, key, db, databaseUrl, install: options.install, git: options.git };
  } finally {
    rl?.close();
  }
}

/** Refuses a folder that exists and is not empty, or is a file. @param {string} target */
function checkTarget(target) {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new CreateError(`${target} exists and is not a folder.`);
  if (readdirSync(target).length) throw new CreateError(`${target} is not empty: choose a new folder (or empty this one).`);
}

/** @param {string} url @returns {'sqlite' | 'postgres'} */
function databaseOf(url) {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new CreateError('--database-url must start with file: (SQLite) or postgresql:// (PostgreSQL).', EXIT.usage);
}

/** @param {'sqlite' | 'postgres'} db @param {string} packageName */
function defaultDatabaseUrl(db, packageName) {
  if (db === 'sqlite') return 'file:./.data/dev.db';
  const database = packageName.replace(/^@[^/]*\//, '').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 63) || 'connect_app';
  return `postgresql://postgres@localhost:5432/${database}`;
}

async function create(answers, identity, ctx) {
  const { target, say } = { ...answers, ...ctx };
  const createdFolder = !existsSync(target);
  try {
    mkdirSync(target, { recursive: true });
    copyTemplate(ctx.templateDir, target);
    identity.applyIdentity(target, { key: answers.key, name: answers.name, packageName: answers.packageName });
    writeEnvFile(target, answers.databaseUrl);
  } catch (err) {
    // A half-made project is worse than none: remove what this run created.
    if (createdFolder) rmSync(target, { recursive: true, force: true });
    else for (const entry of readdirSync(target)) rmSync(path.join(target, entry), { recursive: true, force: true });
    throw err;
  }
  say(`Created ${answers.name} in ${target}`);
  say(`  app key ${answers.key}, package ${answers.packageName}, ${answers.db === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (.env has a new ENCRYPTION_KEY)`);

  const pm = packageManager(ctx.env.npm_config_user_agent);
  let installed = !answers.install;
  if (answers.install) {
    if (pm !== 'npm') {
      // package-lock.json is npm's; the other managers write their own lock file.
      rmSync(path.join(target, 'package-lock.json'), { force: true });
    }
    say(`\nInstalling dependencies with ${pm} install …`);
    const result = spawnSync(pm, ['install'], { cwd: target, env: ctx.env, stdio: 'inherit', shell: process.platform === 'win32' });
    installed = result.status === 0;
    if (!installed) ctx.errorOutput.write(`\n${pm} install failed (${result.error?.message ?? `exit code ${result.status}`}); run it again in ${target}.\n`);
    if (installed && pm === 'pnpm') say('pnpm may have skipped build scripts: if better-sqlite3 fails to load, run pnpm approve-builds.');
  }

  if (answers.git) initGit(target, ctx);

  const run = pm === 'npm' ? 'npm run' : pm === 'bun' ? 'bun run' : pm;
  const cd = path.relative(ctx.cwd, target) || '.';
  say('\nNext:');
  if (cd !== '.') say(`  cd ${/\s/.test(cd) ? JSON.stringify(cd) : cd}`);
  if (!answers.install || !installed) say(`  ${pm} install`);
  if (answers.db === 'postgres') say(`  createdb ${new URL(answers.databaseUrl).pathname.slice(1) || '<database>'}    # or edit DATABASE_URL in .env`);
  say(`  ${run} dev     # the app on http://localhost:3000, a simulated Jira on http://localhost:4000`);
  say(`  ${pm === 'npm' ? 'npm' : run} test        # types, unit tests, browser tests (needs PostgreSQL and Chromium: see README.md)`);
  say('\nA real Jira site (Forge CLI: npm run forge:deploy), Vercel: docs/forge.md, docs/deploy.md');
  say(`Change the app key or name later with: ${run} rename -- --key <key> --name "<name>"`);
  return installed ? EXIT.ok : EXIT.failed;
}

/** Copies the template, putting back the dotfiles npm strips from packages. */
function copyTemplate(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, unpackedName(entry.name));
    if (entry.isDirectory()) {
      mkdirSync(target, { recursive: true });
      copyTemplate(source, target);
    } else if (entry.isFile()) {
      copyFileSync(source, target);
    }
  }
}

/**
 * .env from .env.example, so every variable stays documented: DATABASE_URL and a new ENCRYPTION_KEY set,
 * every other assignment commented out. (An empty `NAME=` is not "unset": `npm run dev` leaves a variable
 * alone once it is defined, and an empty HOST_AUTO_INSTALL turns the simulator's auto-install off.)
 * The key is generated here, never copied: two apps must not share one.
 */
function writeEnvFile(target, databaseUrl) {
  const example = readFileSync(path.join(target, '.env.example'), 'utf8');
  /** @type {Record<string, string>} */
  const values = { DATABASE_URL: databaseUrl, ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  const unset = new Set(Object.keys(values));
  let text = example.replace(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm, (line, name) => {
    if (!(name in values)) return `# ${line}`;
    unset.delete(name);
    return `${name}=${values[name]}`;
  });
  for (const name of unset) text = `${text.replace(/\n?$/, '\n')}${name}=${values[name]}\n`;
  text = `# Written by create-connect-next. Secrets: keep this file out of git (.gitignore does).\n${text}`;
  writeFileSync(path.join(target, '.env'), text, { mode: 0o600 });
}

/**
 * The package manager that ran this command, from the user agent npm, pnpm, yarn and bun all set.
 * @param {string | undefined} userAgent e.g. "pnpm/9.12.0 npm/? node/v20.20.0 linux x64"
 * @returns {'npm' | 'pnpm' | 'yarn' | 'bun'}
 */
export function packageManager(userAgent) {
  const name = (userAgent ?? '').split('/')[0];
  return name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : 'npm';
}

function initGit(target, ctx) {
  const git = (/** @type {string[]} */ args) => spawnSync('git', args, { cwd: target, env: ctx.env, encoding: 'utf8' });
  if (git(['--version']).error) {
    ctx.say('\ngit was not found: no repository created.');
    return;
  }
  if (git(['rev-parse', '--is-inside-work-tree']).stdout?.trim() === 'true') {
    ctx.say('\nThe folder is inside a git repository already: no repository created.');
    return;
  }
  const steps = [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'Initial commit from create-connect-next']];
  for (const args of steps) {
    const result = git(args);
    if (result.status !== 0) {
      const reason = (result.stderr || result.stdout || '').trim().split('\n')[0];
      ctx.errorOutput.write(`\ngit ${args[0]} failed (${reason}): the files are in place; commit them yourself.\n`);
      return;
    }
  }
  ctx.say('\nCreated a git repository with a first commit.');
}
