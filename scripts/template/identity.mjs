/**
 * The app's identity (npm package name, Connect app key, display name) and every file that carries it.
 *
 * One module for both ways of starting an app from this template: `npx create-connect-next` runs it on the
 * fresh copy, `npm run rename` on a clone, so both set exactly the same things. Types: identity.d.mts.
 *
 *   package.json, package-lock.json   "name"                       (the npm package name)
 *   atlassian-connect.json            "key", "name"                (what Atlassian sees)
 *   README.md                         the title (first line, "# ") (the display name)
 *   app/layout.tsx                    metadata `title`             (the display name)
 *
 * Tests read the key and name from atlassian-connect.json, so nothing else needs to change.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Connect app keys: letters, digits, `-`, `.` and `_`, at most 64 characters (lib/connect/app-key.mjs; a copy, so this module stands alone: test/template/rename.test.ts runs it in a folder of a few files). */
export const APP_KEY_PATTERN = /^[a-zA-Z0-9._-]{1,64}$/;
/** npm package names, optionally scoped: lower case, URL-safe, at most 214 characters. */
const PACKAGE_NAME_PATTERN = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/;
const MAX_NAME_LENGTH = 100;

export class IdentityError extends Error {
  /**
   * @param {'INVALID_APP_KEY' | 'INVALID_APP_NAME' | 'INVALID_PACKAGE_NAME' | 'NOT_A_PROJECT'} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'IdentityError';
    this.code = code;
  }
}

/**
 * Returns `key` when it is a valid Connect app key; throws IdentityError otherwise.
 * @example checkAppKey('com.acme.notes')
 */
export function checkAppKey(key) {
  if (typeof key !== 'string' || !APP_KEY_PATTERN.test(key)) {
    throw new IdentityError('INVALID_APP_KEY',
      `${JSON.stringify(key)} is not a valid app key: use 1-64 letters, digits, "-", "." or "_", e.g. com.acme.notes.`);
  }
  return key;
}

/** Returns the trimmed display name; throws IdentityError when it is empty, too long or has control characters. */
export function checkAppName(name) {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (!trimmed || trimmed.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new IdentityError('INVALID_APP_NAME', `${JSON.stringify(name)} is not a valid app name: 1-${MAX_NAME_LENGTH} printable characters.`);
  }
  return trimmed;
}

/** Returns `name` when npm accepts it as a package name; throws IdentityError otherwise. */
export function checkPackageName(name) {
  if (typeof name !== 'string' || name.length > 214 || !PACKAGE_NAME_PATTERN.test(name)) {
    throw new IdentityError('INVALID_PACKAGE_NAME',
      `${JSON.stringify(name)} is not a valid npm package name: lower-case letters, digits, "-", "." or "_".`);
  }
  return name;
}

/**
 * A package name made from free text (a folder or an app name).
 * @example packageNameFrom('Acme Notes') // 'acme-notes'
 */
export function packageNameFrom(text) {
  const slug = String(text).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9._~-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[._~-]+|[._-]+$/g, '').slice(0, 214);
  return slug || 'connect-app';
}

/**
 * A display name made from a package or folder name.
 * @example titleFrom('acme-notes') // 'Acme Notes'
 */
export function titleFrom(text) {
  const words = String(text).replace(/^@[^/]*\//, '').split(/[-_.\s]+/).filter(Boolean);
  return words.map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') || 'Connect App';
}

/**
 * A placeholder app key for a package name. Replace `com.example` with your own reversed domain.
 * @example defaultAppKeyFor('acme-notes') // 'com.example.acme-notes'
 */
export function defaultAppKeyFor(packageName) {
  const slug = packageName.replace(/^@/, '').replace(/\//g, '.').replace(/[^a-zA-Z0-9._-]/g, '-');
  return `com.example.${slug}`.slice(0, 64).replace(/[._-]+$/, '');
}

/**
 * The identity a project has now.
 * @param {string} root the project folder
 */
export function readIdentity(root) {
  const descriptor = readJson(root, 'atlassian-connect.json');
  const pkg = readJson(root, 'package.json');
  return { key: descriptor.key, name: descriptor.name, packageName: pkg.name };
}

/**
 * Sets the identity in every file that carries it; writes only what differs, so running it twice changes
 * nothing the second time. Everything is checked and prepared before the first file is written.
 *
 * @param {string} root the project folder
 * @param {{ key?: string, name?: string, packageName?: string }} identity  what to set; omitted parts stay
 * @returns {{ file: string, field: string, from: string, to: string }[]} what changed
 * @example applyIdentity('.', { key: 'com.acme.notes', name: 'Acme Notes', packageName: 'acme-notes' })
 */
export function applyIdentity(root, identity) {
  const key = identity.key === undefined ? undefined : checkAppKey(identity.key);
  const name = identity.name === undefined ? undefined : checkAppName(identity.name);
  const packageName = identity.packageName === undefined ? undefined : checkPackageName(identity.packageName);

  /** @type {{ file: string, field: string, from: string, to: string }[]} */
  const changes = [];
  /** @type {Map<string, string>} file → new text */
  const writes = new Map();

  const descriptor = readJson(root, 'atlassian-connect.json');
  const oldName = descriptor.name;
  setJson(descriptor, 'atlassian-connect.json', ['key'], key);
  setJson(descriptor, 'atlassian-connect.json', ['name'], name);

  const pkg = readJson(root, 'package.json');
  setJson(pkg, 'package.json', ['name'], packageName);

  if (existsSync(path.join(root, 'package-lock.json'))) {
    const lock = readJson(root, 'package-lock.json');
    setJson(lock, 'package-lock.json', ['name'], packageName);
    if (lock.packages?.['']) setJson(lock, 'package-lock.json', ['packages', '', 'name'], packageName, 'packages[""].name');
  }

  if (name !== undefined) {
    editText('README.md', (text) => {
      const m = /^# (.*)$/m.exec(text);
      if (!m || m.index !== 0 || m[1] === name) return null;
      return { text: `# ${name}${text.slice(m[0].length)}`, from: m[1], field: 'title' };
    });
    editText('app/layout.tsx', (text) => {
      // The page title in `export const metadata = { title: '…' }`; left alone if it was edited by hand.
      const m = /(\btitle:\s*)'((?:\\.|[^'\\])*)'/.exec(text);
      if (!m || m[2] === jsString(name) || (oldName !== undefined && m[2] !== jsString(oldName))) return null;
      return { text: text.slice(0, m.index) + `${m[1]}'${jsString(name)}'` + text.slice(m.index + m[0].length), from: m[2], field: 'metadata.title' };
    });
  }

  for (const [file, text] of writes) writeFileSync(path.join(root, file), text);
  return changes;

  /** @param {Record<string, any>} json @param {string} file @param {string[]} at @param {string | undefined} to @param {string} [label] */
  function setJson(json, file, at, to, label = at.join('.')) {
    if (to === undefined) return;
    const parent = at.slice(0, -1).reduce((o, k) => o[k], json);
    const field = at[at.length - 1];
    if (parent[field] === to) return;
    changes.push({ file, field: label, from: String(parent[field]), to });
    parent[field] = to;
    // These files are npm's and JSON.stringify's own format: two spaces, a final newline.
    writes.set(file, `${JSON.stringify(json, null, 2)}\n`);
  }

  /** @param {string} file @param {(text: string) => { text: string, from: string, field: string } | null} edit */
  function editText(file, edit) {
    const full = path.join(root, file);
    if (!existsSync(full)) return;
    const result = edit(readFileSync(full, 'utf8'));
    if (!result) return;
    changes.push({ file, field: result.field, from: result.from, to: /** @type {string} */ (name) });
    writes.set(file, result.text);
  }
}

/** @param {string} text the content of a single-quoted JavaScript string literal */
function jsString(text) {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/** @param {string} root @param {string} file */
function readJson(root, file) {
  const full = path.join(root, file);
  if (!existsSync(full)) throw new IdentityError('NOT_A_PROJECT', `${full} is missing: run this in a project made from the connect-next template.`);
  return JSON.parse(readFileSync(full, 'utf8'));
}
