/**
 * The fake content of a new simulated site: two users, one project, three issues. Ids look like Jira's
 * (numeric strings; account ids `712020:<uuid>`) so code that parses them meets realistic values.
 */
import { randomUUID } from 'node:crypto';

/**
 * @typedef {object} SimUser
 * @property {string} accountId
 * @property {string} displayName
 * @property {string} emailAddress
 * @property {string} timeZone
 * @property {string} locale
 *
 * @typedef {object} SimIssue
 * @property {string} id
 * @property {string} key
 * @property {string} summary
 * @property {string} description
 * @property {string} status
 * @property {string[]} [previousKeys]  keys it had before a key change (Jira still resolves them)
 *
 * @typedef {object} SimProject
 * @property {string} id
 * @property {string} key
 * @property {string} name
 */

/** @param {string} siteName */
export function seedSite(siteName) {
  const title = siteName.charAt(0).toUpperCase() + siteName.slice(1);
  /** @type {SimUser[]} */
  const users = [
    { accountId: `712020:${randomUUID()}`, displayName: `Alice ${title}`, emailAddress: `alice@${siteName}.example`, timeZone: 'Europe/Paris', locale: 'en_US' },
    { accountId: `712020:${randomUUID()}`, displayName: `Bob ${title}`, emailAddress: `bob@${siteName}.example`, timeZone: 'America/New_York', locale: 'en_US' },
  ];
  /** @type {SimProject} */
  const project = { id: '10000', key: 'NOTE', name: 'Notes demo' };
  /** @type {SimIssue[]} */
  const issues = [
    { id: '10001', key: 'NOTE-1', summary: 'Set up the onboarding checklist', description: 'Collect what a new teammate needs on day one.', status: 'To Do' },
    { id: '10002', key: 'NOTE-2', summary: 'Fix the login redirect loop', description: 'Users bounce between /login and /home after a session expires.', status: 'In Progress' },
    { id: '10003', key: 'NOTE-3', summary: 'Write the release notes for 2.4', description: 'Summarise the changes since 2.3 for customers.', status: 'Done' },
  ];
  return { users, project, issues, cloudId: randomUUID() };
}
