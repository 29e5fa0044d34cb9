/**
 * The verified caller: what every door (a Connect JWT, a Forge Invocation Token) proves about a request,
 * in the one shape domain code (lib/notes, lib/webhooks) takes. Domain code never sees a token or a Request's
 * headers, so the two doors cannot drift apart in what they allow.
 *
 * - Connect (lib/http/authenticate.ts, `authenticateCaller`): `siteId` of the tenant named by the verified
 *   JWT's `iss`, `accountId` = `sub`, `boundIssueKey` = `context.jira.issue.key`.
 * - Forge (lib/forge/caller.ts, `forgeCaller`): `siteId` resolved from the verified FIT's `app.installationId`
 *   and `context.cloudId` (./resolve.ts), `accountId` = `principal`, `boundIssueKey` = `context.extension.issue.key`.
 */
import { ConnectError } from '../connect/errors';

export interface VerifiedCaller {
  /** The site whose data the caller reaches (the Site table's id). */
  siteId: string;
  /** The Atlassian account of the user; absent for an anonymous viewer or a backend invocation. */
  accountId?: string;
  /**
   * The issue the token was minted on (an issue panel); absent for a general page. A caller bound to an
   * issue acts on that issue only (lib/notes/issue-context.ts).
   */
  boundIssueKey?: string;
}

/**
 * The caller's account id; writes need a person (FORBIDDEN for an anonymous viewer or a backend call).
 *
 * @example const author = requireUser(caller);
 */
export function requireUser(caller: VerifiedCaller): string {
  if (!caller.accountId) throw new ConnectError('FORBIDDEN', 'Sign in to Atlassian to write or delete notes.');
  return caller.accountId;
}
