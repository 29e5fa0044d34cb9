/**
 * The verified caller: what every door (a Connect JWT, a Forge Invocation Token) proves about a request,
 * in the one shape domain code (lib/notes, lib/webhooks) takes. Domain code never sees a token or a Request's
 * headers, so the two doors cannot drift apart in what they allow.
 *
 * - Connect (lib/http/authenticate.ts, `authenticateCaller`): `siteId` of the tenant named by the verified
 *   JWT's `iss`, `accountId` = `sub`, `boundIssueKey` = `context.jira.issue.key`, `license` =
 *   `context.license.active`, or a qsh-signed `lic` (lib/connect/license.ts).
 * - Forge (lib/forge/caller.ts, `forgeCaller`): `siteId` resolved from the verified FIT's `app.installationId`
 *   and `context.cloudId` (./store.ts), `accountId` = `principal`, `boundIssueKey` = `context.extension.issue.key`,
 *   `license` = `app.license.isActive` (lib/forge/site-claims.ts).
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
  /**
   * What the platform signed about the site's license for this app: `active`, `inactive` (Connect
   * `lic=none` or `context.license.active: false`; Forge `app.license.isActive: false`), or undefined where
   * it says nothing (Forge development and staging, free apps, a Connect context token without a license).
   */
  license?: LicenseState;
}

export type LicenseState = 'active' | 'inactive';

/** The app's license policy (LICENSE_REQUIRED, lib/config.ts). */
export interface LicensePolicy {
  /** Refuse writes from a site whose license is `inactive`. Default false. */
  licenseRequired?: boolean;
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

const LICENSE_REQUIRED_MESSAGE =
  "This site's license for the app is not active: notes can be read but not added or deleted. A site administrator can renew it under Manage apps.";

/**
 * The writer of a change: the caller's account, refused with LICENSE_REQUIRED (403) when the policy
 * requires a license and the platform says the site's is `inactive`. Reading is never refused for the
 * license: a lapsed customer keeps access to what it wrote.
 *
 * An undefined license is allowed: the platform says nothing in Forge development and staging (no
 * `app.license`), on a free listing, or in a Connect context token without the claim, and refusing there
 * would lock developers out of their own environments. A paid app in production always gets a license
 * statement (Forge: `app.license` in every FIT; Connect: `lic` and `context.license`), so a lapsed site is
 * refused there. A vendor who wants undefined refused too changes this one line.
 *
 * @example const author = requireWriter(caller, deps);
 */
export function requireWriter(caller: VerifiedCaller, policy: LicensePolicy): string {
  const accountId = requireUser(caller);
  const readOnly = readOnlyReason(caller, policy);
  if (readOnly) throw new ConnectError(readOnly.code, readOnly.message);
  return accountId;
}

/**
 * Why this caller may only read, for the UI to say so before the user tries; undefined when it may write
 * (as far as the license goes).
 *
 * @example readOnlyReason(caller, deps) // { code: 'LICENSE_REQUIRED', message: '…' }
 */
export function readOnlyReason(caller: VerifiedCaller, policy: LicensePolicy): { code: 'LICENSE_REQUIRED'; message: string } | undefined {
  return policy.licenseRequired && caller.license === 'inactive' ? { code: 'LICENSE_REQUIRED', message: LICENSE_REQUIRED_MESSAGE } : undefined;
}
