/**
 * The webhooks the app handles, and the one definition of what a Jira issue event means for the app's data,
 * used by both doors: Connect webhooks (./receive.ts) and Forge product events `avi:jira:deleted:issue` and
 * `avi:jira:updated:issue` (lib/forge/events.ts), whose payloads carry the same `issue` and `changelog`.
 *
 * Route name (`/api/webhooks/<name>`, the URL the descriptor declares) →
 * Jira event → what it changes. Adding one is an entry here and a line in atlassian-connect.json:
 *
 *   "webhooks": [{ "event": "jira:issue_deleted", "url": "/api/webhooks/issue-deleted" }, ...]
 *
 * A handler only plans: it validates the body and returns the effect to apply in the delivery's transaction,
 * or null when the event changes nothing for the app (most `jira:issue_updated` events), which then costs
 * no write at all.
 * Payloads: https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-an-issue-related-event
 */
import { ConnectError } from '../connect/errors';
import { isIssueKey, projectKeyOf } from '../notes/issue-key';
import type { WebhookEffect } from './deliveries';

export interface WebhookDefinition {
  /** The `webhookEvent` the body must carry. */
  event: string;
  /**
   * The effect of this (verified, JSON-object) body, applied later to the delivery's site, or null for none.
   * Throws BAD_REQUEST. Pure: a body is checked completely before anything is written.
   */
  plan(body: Record<string, unknown>): WebhookEffect | null;
}

export const WEBHOOKS = {
  /** The issue is gone: so are its notes, in this site only. */
  'issue-deleted': {
    event: 'jira:issue_deleted',
    plan(body) {
      const issueKey = (body.issue as { key?: unknown } | undefined)?.key;
      if (!isIssueKey(issueKey)) throw new ConnectError('BAD_REQUEST', 'The webhook has no valid issue.key.');
      return (notes, siteId) => [notes.deleteForIssue(siteId, issueKey)];
    },
  },
  /**
   * Moving an issue to another project gives it a new key (NOTE-7 → OPS-31); the changelog has an item
   * `{ field: "Key", fromString: "NOTE-7", toString: "OPS-31" }`. The notes follow. Any other update: nothing.
   */
  'issue-updated': {
    event: 'jira:issue_updated',
    plan(body) {
      const items = (body.changelog as { items?: unknown } | undefined)?.items;
      if (!Array.isArray(items)) return null;
      const change = items.find((i): i is Record<string, unknown> => typeof i === 'object' && i !== null && String((i as { field?: unknown }).field).toLowerCase() === 'key');
      if (!change) return null;
      const { fromString: from, toString: to } = change;
      if (!isIssueKey(from) || !isIssueKey(to)) throw new ConnectError('BAD_REQUEST', 'The webhook changelog has an invalid issue key change.');
      if (from === to) return null;
      return (notes, siteId) => [notes.renameIssue(siteId, from, to, projectKeyOf(to))];
    },
  },
} satisfies Record<string, WebhookDefinition>;

export type WebhookName = keyof typeof WEBHOOKS;

/**
 * The webhook served at `/api/webhooks/<name>`, or undefined.
 *
 * @example webhookNamed('issue-deleted')?.event // 'jira:issue_deleted'
 */
export function webhookNamed(name: string): WebhookDefinition | undefined {
  return Object.hasOwn(WEBHOOKS, name) ? WEBHOOKS[name as WebhookName] : undefined;
}
