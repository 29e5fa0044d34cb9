/**
 * Jira issue and project keys. A project key is an upper-case letter followed by upper-case letters, digits
 * or underscores (Jira's default rule, `[A-Z][A-Z0-9_]+`, relaxed to allow one-letter keys some sites have);
 * an issue key is `<project key>-<number>`, the number without a leading zero.
 * https://support.atlassian.com/jira-cloud-administration/docs/what-is-an-issue/#Issue-keys
 */
import { ConnectError } from '../connect/errors';

/** Longer keys are refused before any pattern runs: Jira caps project keys at 255 characters, real ones are ~10. */
export const MAX_ISSUE_KEY_LENGTH = 128;

const PROJECT_KEY = /^[A-Z][A-Z0-9_]*$/;
const ISSUE_KEY = /^([A-Z][A-Z0-9_]*)-[1-9][0-9]{0,17}$/;

/** @example isIssueKey('NOTE-12') // true; isIssueKey('note-12'), isIssueKey('NOTE-012') // false */
export function isIssueKey(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ISSUE_KEY_LENGTH && ISSUE_KEY.test(value);
}

/** @example isProjectKey('NOTE') // true */
export function isProjectKey(value: unknown): value is string {
  return typeof value === 'string' && value.length < MAX_ISSUE_KEY_LENGTH && PROJECT_KEY.test(value);
}

/**
 * The project key of an issue key (everything before the last `-`: project keys have no `-`).
 *
 * @example projectKeyOf('NOTE-12') // 'NOTE'
 */
export function projectKeyOf(issueKey: string): string {
  return issueKey.slice(0, issueKey.lastIndexOf('-'));
}

/**
 * `value` if it is an issue key; otherwise a 400 naming `field` (never echoing the value).
 *
 * @example const issueKey = requireIssueKey(url.searchParams.get('issueKey'), 'issueKey');
 */
export function requireIssueKey(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '') throw new ConnectError('BAD_REQUEST', `${field} is required.`);
  if (typeof value !== 'string') throw new ConnectError('BAD_REQUEST', `${field} must be a string.`);
  if (!isIssueKey(value)) {
    throw new ConnectError('BAD_REQUEST', `${field} must be a Jira issue key such as NOTE-12: an upper-case project key, "-", and a number.`);
  }
  return value;
}
