/**
 * What a context token says the user is looking at. Atlassian puts it in the token's `context` claim when
 * the iframe belongs to an issue (issue panel, glance, issue action): `{ jira: { issue: { key, id }, project: { key, id } } }`.
 * https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/#context-qsh
 */
import { ConnectError } from '../connect/errors';

/**
 * The issue key the token vouches for, or undefined when it carries none.
 *
 * A token minted by a general page (or an admin or project page) carries no issue. Its holder may name any
 * issue key of the site: the token proves the user is signed in to this site, not that Jira lets them see
 * that issue. Checking that would take a product call as the user (`/rest/api/3/mypermissions`), which the
 * notes API, a pure database path, does not make. So any user of the site who can open one of the app's
 * general pages can read every note of the site; restrict those pages (descriptor `conditions`) if notes
 * may be sensitive.
 *
 * @example contextIssueKey(verified.context) // 'NOTE-1' from an issue panel, undefined from a general page
 */
export function contextIssueKey(context: unknown): string | undefined {
  const key = (context as { jira?: { issue?: { key?: unknown } } } | null | undefined)?.jira?.issue?.key;
  return typeof key === 'string' && key ? key : undefined;
}

/**
 * Refuses (403) a request about another issue than the one the token was minted for: a user looking at
 * NOTE-1 gets a token for NOTE-1, and cannot use it to act on NOTE-2, which they may not be allowed to see.
 * `issueKey` undefined (a site-wide request) is refused too when the token is bound to an issue.
 *
 * @example assertIssueInContext(verified.context, issueKey);
 */
export function assertIssueInContext(context: unknown, issueKey: string | undefined): void {
  assertIssueBound(contextIssueKey(context), issueKey);
}

/**
 * The same rule for any door: `bound` is the issue a verified caller's token was minted on (a Connect
 * context token's `context.jira.issue.key`, a Forge FIT's `context.extension.issue.key`), undefined if none.
 *
 * @example assertIssueBound(caller.boundIssueKey, issueKey);
 */
export function assertIssueBound(bound: string | undefined, issueKey: string | undefined): void {
  if (bound === undefined) return;
  if (issueKey === undefined) throw new ConnectError('FORBIDDEN', 'This token was issued for one issue; name it with issueKey.');
  if (issueKey !== bound) throw new ConnectError('FORBIDDEN', 'This token was issued for another issue.');
}
