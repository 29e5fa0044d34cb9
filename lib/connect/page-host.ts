/**
 * The product that framed an iframe page. Connect iframe URLs carry `xdm_e` (the product's origin) and `cp`
 * (its context path, e.g. `/wiki`). On a real site the page loads all.js from Atlassian's CDN; in the simulator
 * (a loopback site) from `<xdm_e><cp>/atlassian-connect/all.js` (lib/ap allJsUrl). Both are covered by the
 * page-load JWT's qsh, but a tenant signs its own URLs, so they must also name that tenant's own site:
 * otherwise a site could point the app's page at a script on any host, or pass itself off as the simulator.
 */
import { ConnectError } from './errors';
import { normalizeBaseUrl } from './hosts';
import type { Tenant } from '../tenants/types';

/** Segments of letters, digits and `._~-`, but never `.` or `..`. */
const CONTEXT_PATH = /^(\/(?!\.\.?(?:\/|$))[\w.~-]+)*$/;

/** The product base URL an iframe page is framed by; throws unless it is the tenant's baseUrl or displayUrl. */
export function pageProductUrl(url: URL, tenant: Pick<Tenant, 'baseUrl' | 'displayUrl'>): string {
  const origin = url.searchParams.get('xdm_e');
  if (!origin) throw new ConnectError('BAD_REQUEST', 'The page URL lacks the product parameters (xdm_e); open it from Jira or Confluence.');
  const contextPath = url.searchParams.get('cp') ?? '';
  let productUrl: string | null = null;
  try {
    // A path and nothing else: in the simulator the page appends `/atlassian-connect/all.js` to exactly what is checked here.
    if (CONTEXT_PATH.test(contextPath)) productUrl = normalizeBaseUrl(new URL(origin).origin + contextPath);
  } catch {
    // not a URL: refused below
  }
  const own = [tenant.baseUrl, tenant.displayUrl].filter((u): u is string => !!u).map(normalizeBaseUrl);
  if (!productUrl || !own.includes(productUrl)) {
    throw new ConnectError('FORBIDDEN', 'The page URL names a product other than this installation’s site.');
  }
  return productUrl;
}
