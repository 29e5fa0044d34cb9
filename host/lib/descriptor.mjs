/**
 * The product's view of an app descriptor: fetched from the app, checked before anything is installed
 * (the real product refuses an invalid descriptor with a list of errors), then read for the modules the
 * simulator renders and the webhooks it sends.
 * https://developer.atlassian.com/cloud/jira/platform/app-descriptor/
 */

import { APP_KEY_PATTERN } from '../../lib/connect/app-key.mjs';

const KNOWN_SCOPES = ['READ', 'WRITE', 'DELETE', 'PROJECT_ADMIN', 'ADMIN', 'ACT_AS_USER', 'ACCESS_EMAIL_ADDRESSES'];
const LIFECYCLE_EVENTS = ['installed', 'uninstalled', 'enabled', 'disabled'];
const MAX_DESCRIPTOR_BYTES = 512 * 1024;

export class DescriptorError extends Error {
  /** @param {string} message @param {string[]} [problems] */
  constructor(message, problems = []) {
    super(problems.length ? `${message}\n- ${problems.join('\n- ')}` : message);
    this.name = 'DescriptorError';
    this.problems = problems;
  }
}

/**
 * Fetches and validates a descriptor; throws DescriptorError with every problem found.
 * @param {string} url
 * @returns {Promise<Record<string, any>>}
 * @example const descriptor = await fetchDescriptor('http://localhost:3000/atlassian-connect.json')
 */
export async function fetchDescriptor(url) {
  let response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000), redirect: 'follow' });
  } catch (err) {
    throw new DescriptorError(`Could not fetch the descriptor at ${url}: ${/** @type {Error} */ (err).cause?.message ?? /** @type {Error} */ (err).message}. Is the app running?`);
  }
  const text = await response.text();
  if (!response.ok) throw new DescriptorError(`The descriptor at ${url} answered ${response.status}.`);
  if (text.length > MAX_DESCRIPTOR_BYTES) throw new DescriptorError(`The descriptor at ${url} is larger than ${MAX_DESCRIPTOR_BYTES} bytes.`);
  let descriptor;
  try {
    descriptor = JSON.parse(text);
  } catch {
    throw new DescriptorError(`The descriptor at ${url} is not JSON.`);
  }
  const problems = descriptorProblems(descriptor);
  if (problems.length) throw new DescriptorError(`The descriptor at ${url} is invalid:`, problems);
  return descriptor;
}

/**
 * Everything wrong with a descriptor, as far as the simulated product cares; empty when it is fine.
 * @param {unknown} value
 * @returns {string[]}
 */
export function descriptorProblems(value) {
  if (!isObject(value)) return ['it must be a JSON object'];
  const d = /** @type {Record<string, any>} */ (value);
  const problems = [];
  if (typeof d.key !== 'string' || !APP_KEY_PATTERN.test(d.key)) problems.push('"key" must be 1-64 letters, digits, ".", "_" or "-"');
  if (typeof d.name !== 'string' || !d.name.trim()) problems.push('"name" is required');
  if (!isHttpBaseUrl(d.baseUrl)) problems.push('"baseUrl" must be an absolute http(s) URL without query or fragment');
  if (d.authentication?.type !== 'jwt') problems.push('"authentication.type" must be "jwt" (the simulator only installs JWT apps)');
  // Both migrations are mandatory on Atlassian's cloud products today.
  for (const migration of ['signed-install', 'context-qsh']) {
    if (d.apiMigrations?.[migration] !== true) problems.push(`"apiMigrations.${migration}" must be true`);
  }
  if (!isObject(d.lifecycle) || typeof d.lifecycle.installed !== 'string') problems.push('"lifecycle.installed" is required for a JWT app');
  if (isObject(d.lifecycle)) {
    for (const [event, url] of Object.entries(d.lifecycle)) {
      if (!LIFECYCLE_EVENTS.includes(event)) problems.push(`"lifecycle.${event}" is not a lifecycle event (${LIFECYCLE_EVENTS.join(', ')})`);
      else if (!isRelativeUrl(url)) problems.push(`"lifecycle.${event}" must be a path starting with /`);
    }
  }
  if (d.scopes !== undefined) {
    if (!Array.isArray(d.scopes)) problems.push('"scopes" must be an array');
    else for (const s of d.scopes) if (!KNOWN_SCOPES.includes(String(s).toUpperCase())) problems.push(`"scopes" has an unknown scope "${s}"`);
  }
  if (d.modules !== undefined) problems.push(...moduleProblems(d.modules));
  return problems;
}

/** @param {unknown} modules */
function moduleProblems(modules) {
  if (!isObject(modules)) return ['"modules" must be an object'];
  const problems = [];
  const keys = new Set();
  for (const [type, list] of Object.entries(/** @type {Record<string, unknown>} */ (modules))) {
    if (type === 'webhooks') {
      if (!Array.isArray(list)) problems.push('"modules.webhooks" must be an array');
      else list.forEach((w, i) => {
        if (!isObject(w) || typeof w.event !== 'string' || !w.event) problems.push(`"modules.webhooks[${i}].event" is required`);
        if (!isObject(w) || !isRelativeUrl(w.url)) problems.push(`"modules.webhooks[${i}].url" must be a path starting with /`);
      });
      continue;
    }
    // A few module types are single objects; the rest are arrays of modules with a key.
    const items = Array.isArray(list) ? list : isObject(list) ? null : undefined;
    if (items === undefined) {
      problems.push(`"modules.${type}" must be an array or an object`);
      continue;
    }
    if (items === null) continue;
    items.forEach((m, i) => {
      const at = `"modules.${type}[${i}]"`;
      if (!isObject(m)) return problems.push(`${at} must be an object`);
      if (typeof m.key !== 'string' || !m.key) return problems.push(`${at}.key is required`);
      if (keys.has(m.key)) problems.push(`${at}.key "${m.key}" is used by another module`);
      keys.add(m.key);
      if (type === 'jiraIssueContents') {
        if (!isRelativeUrl(m.target?.url)) problems.push(`${at}.target.url must be a path starting with /`);
        if (typeof m.name?.value !== 'string') problems.push(`${at}.name.value is required`);
      }
      if (type === 'webPanels' || type === 'generalPages') {
        if (!isRelativeUrl(m.url)) problems.push(`${at}.url must be a path starting with /`);
        if (typeof m.name?.value !== 'string') problems.push(`${at}.name.value is required`);
      }
      if (type === 'webPanels' && typeof m.location !== 'string') problems.push(`${at}.location is required`);
    });
  }
  return problems;
}

/**
 * @typedef {object} ModuleView  a module the simulator renders in an iframe
 * @property {string} key
 * @property {string} type       the descriptor's module type
 * @property {string} name
 * @property {string} url        relative to the app's baseUrl, with {context} variables
 * @property {string} [location]
 */

/**
 * The issue view's app panels: `jiraIssueContents` and `webPanels` at an `atl.jira.view.issue.*` location.
 * @param {Record<string, any>} descriptor
 * @returns {ModuleView[]}
 */
export function issuePanels(descriptor) {
  const modules = descriptor.modules ?? {};
  /** @type {ModuleView[]} */
  const panels = [];
  for (const m of arrayOf(modules.jiraIssueContents)) panels.push({ key: m.key, type: 'jiraIssueContents', name: m.name.value, url: m.target.url });
  for (const m of arrayOf(modules.webPanels)) {
    if (m.location.startsWith('atl.jira.view.issue.')) panels.push({ key: m.key, type: 'webPanels', name: m.name.value, url: m.url, location: m.location });
  }
  return panels;
}

/**
 * @param {Record<string, any>} descriptor
 * @returns {ModuleView[]}
 */
export function generalPages(descriptor) {
  return arrayOf(descriptor.modules?.generalPages).map((m) => ({ key: m.key, type: 'generalPages', name: m.name.value, url: m.url }));
}

/**
 * @param {Record<string, any>} descriptor
 * @returns {{ event: string, url: string }[]}
 */
export function webhooks(descriptor) {
  return arrayOf(descriptor.modules?.webhooks).map((w) => ({ event: w.event, url: w.url }));
}

/**
 * The app's scopes, upper-case, with the implied ones (WRITE implies READ, and so on up to ADMIN).
 * @param {Record<string, any>} descriptor
 * @returns {Set<string>}
 */
export function grantedScopes(descriptor) {
  return withImpliedScopes(arrayOf(descriptor.scopes));
}

/**
 * @param {unknown[]} scopes
 * @returns {Set<string>}
 */
export function withImpliedScopes(scopes) {
  const ladder = ['READ', 'WRITE', 'DELETE', 'PROJECT_ADMIN', 'ADMIN'];
  const declared = scopes.map((s) => String(s).toUpperCase());
  const granted = new Set(declared);
  for (const s of declared) {
    const i = ladder.indexOf(s);
    for (let j = 0; j < i; j++) granted.add(ladder[j]);
  }
  return granted;
}

/**
 * Replaces `{issue.key}` and the like with URL-encoded values from `context`; variables the product does
 * not know become empty, as in Jira.
 * @param {string} template
 * @param {Record<string, string>} context
 * @example substituteContext('/panel?issueKey={issue.key}', { 'issue.key': 'NOTE-1' }) // '/panel?issueKey=NOTE-1'
 */
export function substituteContext(template, context) {
  return template.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, name) => (Object.hasOwn(context, name) ? encodeURIComponent(context[name]) : ''));
}

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** @param {unknown} v @returns {any[]} */
function arrayOf(v) {
  return Array.isArray(v) ? v : [];
}

/** @param {unknown} v */
function isRelativeUrl(v) {
  return typeof v === 'string' && v.startsWith('/') && !v.startsWith('//');
}

/** @param {unknown} v */
function isHttpBaseUrl(v) {
  if (typeof v !== 'string') return false;
  try {
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}
