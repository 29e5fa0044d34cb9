/**
 * The license state a Connect request proves, from what the product signed.
 *
 * Atlassian says it two ways (https://developer.atlassian.com/platform/marketplace/cloud-app-licensing/):
 *   - `lic=active|none` on every URL it loads in an iframe ("active: the license is valid for this instance
 *     and app; none: no license is present"). It is a query parameter, so it is signed only where the
 *     request token's `qsh` covers the query: an iframe load or a webhook (`strict` routes). On the app's
 *     own API (context tokens, `qsh` = `context-qsh`) the query is not covered and `lic` is whatever the
 *     browser chose to send, so there it is never read. (atlassian-connect-express exposes `req.query.lic`
 *     to every route, signed or not.)
 *   - `context.license.active` (a boolean) in the context JWT that `AP.context.getToken()` returns: signed
 *     with the shared secret like the rest of the token, and fresh each time the frontend asks (an iframe's
 *     `lic` is stale once the page has been open past a license change). It wins over `lic`.
 *
 * Free apps (no `enableLicensing`) get neither, or `lic=none`; what the app does with `inactive` is its own
 * policy (lib/sites/caller.ts `requireWriter`).
 */
import type { LicenseState } from '../sites/caller';

/**
 * `context.license.active` if the token states it, else `lic` when the caller passes a query the token's
 * qsh covered; undefined when neither says anything.
 *
 * @example connectLicense(verified.context, undefined)       // a context token: the claim only
 * @example connectLicense(verified.context, url.searchParams) // an iframe load (strict, qsh-bound)
 */
export function connectLicense(context: unknown, signedQuery: URLSearchParams | undefined): LicenseState | undefined {
  const active = (context as { license?: { active?: unknown } } | null | undefined)?.license?.active;
  if (typeof active === 'boolean') return active ? 'active' : 'inactive';
  const lic = signedQuery?.getAll('lic');
  // Sent twice is not a statement either way.
  if (lic?.length !== 1) return undefined;
  if (lic[0] === 'active') return 'active';
  if (lic[0] === 'none') return 'inactive';
  return undefined;
}
