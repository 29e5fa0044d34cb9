/**
 * Which product hosts the app accepts installs from (CONNECT_ALLOWED_HOSTS). A tenant's `baseUrl` is where
 * the app later sends signed requests and loads `all.js` from, so an install claiming an arbitrary
 * host would let an attacker point the app at a server they control.
 */
import { isLoopbackHost, stripTrailingSlashes } from '../url.mjs';

export { isLoopbackHost };

/** `*.example.com` matches any subdomain (not the bare domain); other patterns match exactly. */
export function hostMatches(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase();
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/** A private-network (RFC 1918), link-local or mDNS host: reachable from this machine, never from Atlassian's. */
export function isPrivateHost(hostname: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(hostname) || hostname === '0.0.0.0' || hostname.endsWith('.local');
}

/**
 * A URL Atlassian's servers can call (a Forge remote, an app base URL): https on a public host, with no query,
 * fragment or credentials.
 */
export function isPublicHttpsUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && !isLoopbackHost(url.hostname) && !isPrivateHost(url.hostname) && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

/**
 * True when `baseUrl` is https on an allowed host, or plain http on a loopback host that the list names
 * exactly (how the local simulator and tests run against a production build). No credentials, no fragment.
 */
export function isAllowedProductUrl(baseUrl: string, allowedHosts: string[]): boolean {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash || url.search) return false;
  if (url.protocol === 'https:') return allowedHosts.some((p) => hostMatches(url.hostname, p));
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) && allowedHosts.includes(url.hostname);
  return false;
}

/**
 * `baseUrl` in the form the app keeps and compares: scheme and host lower-cased (as URL parsing does),
 * default port dropped, path kept (Confluence sites end in `/wiki`), trailing slashes, query and fragment
 * removed. Null if it is not an http(s) URL.
 *
 * @example normalizeBaseUrl('HTTPS://Example.Atlassian.net/wiki/') // 'https://example.atlassian.net/wiki'
 */
export function normalizeBaseUrl(baseUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  return `${url.protocol}//${url.host}${stripTrailingSlashes(url.pathname)}`;
}
