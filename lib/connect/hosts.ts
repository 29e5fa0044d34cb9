/**
 * Which product hosts the app accepts installs from (CONNECT_ALLOWED_HOSTS). A tenant's `baseUrl` is where
 * the app later sends signed requests and loads `all.js` from, so an install claiming an arbitrary
 * host would let an attacker point the app at a server they control.
 */

/** `*.example.com` matches any subdomain (not the bare domain); other patterns match exactly. */
export function hostMatches(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase();
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
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

/** The form two base URLs are compared in: lower-case scheme and host, no trailing slash. */
export function normalizeBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}
