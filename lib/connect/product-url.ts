/**
 * Where a signed request may go. A token signed with a tenant's shared secret (or a user's access token)
 * must reach that tenant and nothing else: a URL taken from a product response, a user, or a redirect
 * could otherwise carry it to any host. So every URL, before it is signed, must have the tenant's exact
 * origin (scheme, host, port) and stay under the tenant's base path (Confluence's `/wiki`).
 */
import { stripTrailingSlashes } from '../url.mjs';
import { ProductApiError } from './product-error';

/** A parsed tenant base URL: its origin and its path without a trailing slash (`''` for Jira, `/wiki` for Confluence). */
export interface ProductBase {
  origin: string;
  path: string;
}

/**
 * Parses a tenant's `baseUrl`.
 *
 * @example productBase('https://x.atlassian.net/wiki') // { origin: 'https://x.atlassian.net', path: '/wiki' }
 */
export function productBase(baseUrl: string): ProductBase {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ProductApiError('URL_NOT_ALLOWED', 'The tenant base URL is not a valid URL.');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new ProductApiError('URL_NOT_ALLOWED', 'The tenant base URL must be a plain http(s) URL.');
  }
  return { origin: url.origin, path: stripTrailingSlashes(url.pathname) };
}

/**
 * The absolute URL of a product path. A path (`/rest/api/3/myself?x=1`) is appended to the base URL,
 * context path included (`/rest/api/content` on `…/wiki` → `…/wiki/rest/api/content`); an absolute URL
 * is accepted only on the tenant's own origin and base path. Throws URL_NOT_ALLOWED otherwise.
 *
 * @example resolveProductUrl(productBase(tenant.baseUrl), '/rest/api/3/issue/KEY-1?fields=summary')
 */
export function resolveProductUrl(base: ProductBase, pathOrUrl: string): URL {
  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
    url = parse(pathOrUrl);
  } else {
    // `//evil.com/x` and `/\evil.com` would be resolved as another host; refuse them outright.
    if (/^[/\\]{2}/.test(pathOrUrl) || !pathOrUrl.startsWith('/')) {
      throw notAllowed('a product path must start with a single "/"');
    }
    url = parse(base.origin + base.path + pathOrUrl);
  }
  assertWithinTenant(base, url, notAllowed);
  url.hash = '';
  return url;
}

/**
 * Whether a URL (after the URL parser removed `.` and `..` segments) is on the tenant's origin and under
 * its base path, with no credentials and no encoded traversal left for the server to decode.
 *
 * @example isWithinTenant(productBase('https://x.atlassian.net/wiki'), new URL('https://x.atlassian.net/rest')) // false
 */
export function isWithinTenant(base: ProductBase, url: URL): boolean {
  if (url.origin !== base.origin || url.username || url.password) return false;
  if (base.path && url.pathname !== base.path && !url.pathname.startsWith(base.path + '/')) return false;
  // `..%2F` survives URL parsing as an ordinary segment; a server that decodes it would climb out.
  return !url.pathname.split('/').some((segment) => /(^|[/\\])\.\.([/\\]|$)/.test(safeDecode(segment)));
}

function assertWithinTenant(base: ProductBase, url: URL, fail: (why: string) => ProductApiError): void {
  if (!isWithinTenant(base, url)) throw fail("the URL is not on the tenant's origin and base path");
}

function parse(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw notAllowed('it is not a valid URL');
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function notAllowed(why: string): ProductApiError {
  return new ProductApiError('URL_NOT_ALLOWED', `Refused to send a signed request: ${why}.`);
}
