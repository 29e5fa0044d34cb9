// URL rules the app, scripts/ and host/ share. Plain JavaScript so the scripts and the simulator, which run
// without a build, import the same rule as the app (as lib/db/database-url.mjs does). Types: url.d.mts.

/**
 * True for a host name that names this machine: `localhost`, `[::1]` (as URL.hostname spells it) and
 * 127.0.0.0/8. Only these count: plain http is allowed for them alone, because traffic to them never
 * leaves the machine.
 *
 * @example isLoopbackHost(new URL('http://127.0.0.1:4000').hostname) // true
 */
export function isLoopbackHost(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The transport rule for every server the app trusts (its own public URL, the install-key server, the
 * OAuth server, the Forge JWKS): https, or plain http on a loopback host (the local simulator, tests
 * against a production build). A server on a loopback host is a process on this machine, which could read
 * the app's secrets anyway; no network attacker can stand in for it.
 *
 * @example isHttpsOrLoopbackHttp(new URL('http://localhost:4000/install-keys')) // true
 * @example isHttpsOrLoopbackHttp(new URL('http://keys.example.com/jwks.json')) // false
 */
export function isHttpsOrLoopbackHttp(url) {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/**
 * `text` without trailing slashes: how a base URL is joined with a path (`${base}/path`) without a `//`.
 * For a URL the app keeps and compares, use normalizeBaseUrl (lib/connect/hosts.ts), which also parses it.
 *
 * @example stripTrailingSlashes('https://example.com/wiki//') // 'https://example.com/wiki'
 */
export function stripTrailingSlashes(text) {
  return text.replace(/\/+$/, '');
}
