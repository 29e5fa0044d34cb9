/**
 * The app descriptor: `atlassian-connect.json` at the repository root is the template, and the app
 * serves it with `baseUrl` set from configuration. Validation runs in the test suite and on every
 * render, so a broken template fails loudly instead of producing a descriptor Atlassian rejects.
 */
import template from '../../atlassian-connect.json';
import { APP_KEY_PATTERN, getConfig } from '../config';
import { LIFECYCLE_EVENTS } from './lifecycle-payload';

export type Descriptor = Record<string, unknown> & {
  key: string;
  name: string;
  baseUrl: string;
  scopes?: string[];
  lifecycle?: Record<string, string>;
  modules?: Record<string, unknown>;
};

export class DescriptorError extends Error {
  constructor(readonly problems: string[]) {
    super(`atlassian-connect.json is invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'DescriptorError';
  }
}

export { APP_KEY_PATTERN };

/** Lists what is wrong with a descriptor template; empty when it is fine. */
export function descriptorProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['it must be a JSON object'];
  const d = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof d.key !== 'string' || !APP_KEY_PATTERN.test(d.key)) {
    problems.push('"key" must be 1-64 letters, digits, "-", "." or "_"');
  }
  if (typeof d.name !== 'string' || !d.name.trim()) problems.push('"name" is required');
  const auth = d.authentication as { type?: unknown } | undefined;
  if (auth?.type !== 'jwt') problems.push('"authentication.type" must be "jwt"');
  const migrations = d.apiMigrations as Record<string, unknown> | undefined;
  for (const m of ['context-qsh', 'signed-install']) {
    if (migrations?.[m] !== true) problems.push(`"apiMigrations.${m}" must be true`);
  }
  const lifecycle = d.lifecycle as Record<string, unknown> | undefined;
  for (const event of LIFECYCLE_EVENTS) {
    const url = lifecycle?.[event];
    if (typeof url !== 'string' || !url.startsWith('/')) problems.push(`"lifecycle.${event}" must be a path starting with /`);
  }
  if (!Array.isArray(d.scopes) || !d.scopes.every((s) => typeof s === 'string')) problems.push('"scopes" must be an array of strings');
  if (d.modules !== undefined && (typeof d.modules !== 'object' || d.modules === null)) problems.push('"modules" must be an object');
  return problems;
}

/** The descriptor with `baseUrl` set; throws DescriptorError when the template is invalid. */
export function renderDescriptor(appUrl: string, source: unknown = template): Descriptor {
  const problems = descriptorProblems(source);
  if (problems.length) throw new DescriptorError(problems);
  return { ...(source as Descriptor), baseUrl: appUrl };
}

let validated: Descriptor | undefined;

/** The committed template, validated once: what outgoing calls read their key and scopes from. */
export function descriptorTemplate(): Descriptor {
  validated ??= renderDescriptor('');
  return validated;
}

/**
 * The app key this deployment answers to: the `iss` of outgoing tokens, the `key` install payloads must carry
 * and the `key` of the served descriptor. CONNECT_KEY when set (a Forge environment with its own key), else
 * the descriptor template's.
 */
export function appKey(): string {
  return getConfig().connectKey ?? descriptorTemplate().key;
}
