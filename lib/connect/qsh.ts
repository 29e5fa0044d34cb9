/**
 * The query string hash (`qsh`): a SHA-256 of the "canonical request" (method, path, query) that
 * Atlassian puts in a JWT so a token minted for one URL cannot be replayed against another.
 *
 * The rules, from Atlassian's own Java implementation (the one Jira and Confluence run,
 * `com.atlassian.jwt.core.HttpRequestCanonicalizer`) and "Understanding JWT for Connect apps"
 * (https://developer.atlassian.com/cloud/jira/platform/understanding-jwt/):
 *
 *   canonical-request = METHOD '&' canonical-path '&' canonical-query
 *
 * - METHOD is upper-cased.
 * - canonical-path is the request path relative to the app's base URL (a base URL with a path, such as
 *   `https://x.ngrok.app/myapp`, has `/myapp` removed), `/` when empty, without a trailing `/`, and with
 *   `&` written `%26` so the path cannot pose as part of the query. The path is otherwise taken as sent
 *   (percent-encoded), never decoded.
 * - canonical-query: every parameter but `jwt`, decoded, then `encode(name)=encode(v1),encode(v2)…`
 *   joined with `&`; repeated values sorted; `encode` is RFC 3986 (unreserved characters kept, everything
 *   else `%XX` of its UTF-8 bytes: space is `%20`, `*` is `%2A`, `~` stays `~`).
 *
 * Two dialects. They agree whenever parameter names use only `A-Z a-z 0-9 - . _ ~` and the path has no
 * `'`, `^` or `|`, which covers every request a product sends in practice; otherwise they differ:
 *
 * | | `spec` (Java, the docs) | `atlassian-jwt` (npm 2.0.3, used by atlassian-connect-express) |
 * |---|---|---|
 * | names sorted by | percent-encoded form: `%C3%A9 < a%5B < a1 < z` | decoded form, UTF-16 order: `a1 < a[ < z < é` |
 * | `'` `^` `|` in the path | kept as sent | escaped `%27` `%5E` `%7C` (Node's legacy `url.parse`) |
 *
 * Both sort repeated values by their decoded form in UTF-16 order (Java sorts the value array in place
 * before encoding; atlassian-jwt calls `Array.prototype.sort`), so values never differ.
 * Inbound verification accepts either dialect ({@link qshMatches}): the two orderings are permutations of
 * the same parameters, so accepting both lets no parameter go unsigned, and `/a'b` and `/a%27b` decode to
 * the same route path. Outbound tokens use `spec`, which is what the products compute when they check ours.
 *
 * Parsing follows the WHATWG URL standard, exactly as `new URL(request.url).searchParams` reads the query
 * in a route handler, so the hash covers the parameters as the app sees them: `+` is a space, `%2B` a
 * plus, a `%` not followed by two hex digits is a literal `%`, and bytes that are not UTF-8 decode to
 * U+FFFD. That never throws, and it is also what atlassian-jwt does (Node's `querystring`).
 *
 * Deliberately not copied from atlassian-jwt: (1) it removes the base path as a string prefix, so with
 * base `/myapp` the path `/myapplication` becomes `/lication`; we remove whole segments only, and ignore a
 * trailing slash on the base (it turns `/myapp//a` into `/a` with base `/myapp/`; we into `//a`). (2) It
 * drops a parameter named `__proto__` and every parameter past the 1000th (Node's `querystring` limit);
 * we sign them all, as Java does. (3) Its `checkBodyForParams` (form parameters of a POST in place of a
 * query) is not supported: products put parameters in the query.
 */
import { createHash } from 'node:crypto';
import { ConnectError } from './errors';
import { stripTrailingSlashes } from '../url.mjs';

/** The fixed `qsh` of context tokens (`AP.context.getToken()`), which are not bound to any one request. */
export const CONTEXT_QSH = 'context-qsh';

/** The query parameter that may carry the token itself; it is never part of the hash. */
const JWT_PARAM = 'jwt';

export type QshDialect = 'spec' | 'atlassian-jwt';

export interface QshRequest {
  /** HTTP method, any case. */
  method: string;
  /** Absolute URL, or a path with an optional query (`/rest/api/3/myself?expand=groups`). */
  url: URL | string;
  /** The app's (or product's) base URL; its path, if any, is removed from the front of the request path. */
  baseUrl?: string;
}

/**
 * The canonical request string whose SHA-256 is the `qsh` claim.
 *
 * @example canonicalRequest({ method: 'get', url: 'https://app.example.com/p?b=2&a=1&jwt=x' }) // 'GET&/p&a=1&b=2'
 */
export function canonicalRequest(request: QshRequest, dialect: QshDialect = 'spec'): string {
  const parts = canonicalParts(request);
  return dialect === 'spec' ? specForm(parts) : atlassianJwtForm(parts);
}

/**
 * The `qsh` claim for a request: lowercase hex SHA-256 of its canonical request.
 *
 * @example computeQsh({ method: 'GET', url: '/rest/api/3/myself' }) // sign an outbound call with it
 */
export function computeQsh(request: QshRequest, dialect: QshDialect = 'spec'): string {
  return sha256Hex(canonicalRequest(request, dialect));
}

/**
 * Whether `qsh` is the hash of this request in either dialect: what inbound verification accepts.
 * A product (Java) and a Node signer using atlassian-jwt produce different hashes for the rare request
 * whose parameter names sort differently encoded and decoded; both are genuine.
 *
 * @example if (!qshMatches(claims.qsh, { method: request.method, url: request.url, baseUrl })) reject()
 */
export function qshMatches(qsh: string, request: QshRequest): boolean {
  const parts = canonicalParts(request);
  const spec = specForm(parts);
  if (sha256Hex(spec) === qsh) return true;
  const compat = atlassianJwtForm(parts);
  return compat !== spec && sha256Hex(compat) === qsh;
}

interface Param {
  /** Decoded name. */
  name: string;
  encodedName: string;
  /** `encode(v1),encode(v2)…`, values sorted by their decoded form. */
  encodedValues: string;
}

interface CanonicalParts {
  method: string;
  /** The path relative to the base URL, as sent (percent-encoded); not yet canonical. */
  path: string;
  params: Param[];
}

// Any valid base: relative inputs (`/path?x`) are resolved against it, and only path and query are used.
const PLACEHOLDER_ORIGIN = 'http://qsh.invalid';

function canonicalParts({ method, url, baseUrl }: QshRequest): CanonicalParts {
  const parsed = typeof url === 'string' ? parseUrl(url) : url;
  return {
    method: method.toUpperCase(),
    path: relativePath(parsed.pathname, baseUrl === undefined ? '' : basePath(baseUrl)),
    params: params(parsed.searchParams),
  };
}

function parseUrl(url: string): URL {
  try {
    return new URL(url, PLACEHOLDER_ORIGIN);
  } catch {
    throw new ConnectError('BAD_REQUEST', 'The request URL is not valid.');
  }
}

/** The last base URL's path: every inbound request passes the same one (the app's), so it is parsed once. */
let lastBase: { baseUrl: string; path: string } | undefined;

/** The path of a base URL without trailing slashes (`https://x.ngrok.app/myapp/` → `/myapp`). */
function basePath(baseUrl: string): string {
  if (lastBase?.baseUrl === baseUrl) return lastBase.path;
  const path = stripTrailingSlashes(parseUrl(baseUrl).pathname);
  lastBase = { baseUrl, path };
  return path;
}

/** Removes the base path when it is a whole-segment prefix: `/myapp/x` → `/x`, but `/myapplication` stays. */
function relativePath(path: string, base: string): string {
  if (base && (path === base || path.startsWith(base + '/'))) return path.slice(base.length);
  return path;
}

function params(searchParams: URLSearchParams): Param[] {
  const values = new Map<string, string[]>();
  for (const [name, value] of searchParams) {
    if (name === JWT_PARAM) continue;
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  const result: Param[] = [];
  for (const [name, list] of values) {
    // Default sort: UTF-16 code units, as Java's String.compareTo and atlassian-jwt's Array#sort.
    list.sort();
    result.push({ name, encodedName: encodeRfc3986(name), encodedValues: list.map(encodeRfc3986).join(',') });
  }
  return result;
}

function specForm({ method, path, params }: CanonicalParts): string {
  // Encoded names are ASCII, so code-unit order is byte order, as in Java's comparison.
  const sorted = [...params].sort((a, b) => compare(a.encodedName, b.encodedName));
  return `${method}&${canonicalPath(path)}&${queryString(sorted)}`;
}

function atlassianJwtForm({ method, path, params }: CanonicalParts): string {
  const sorted = [...params].sort((a, b) => compare(a.name, b.name));
  // Node's url.parse escapes these; after WHATWG parsing they are the only ones of its set left raw.
  const escaped = path.replace(/['^|]/g, (c) => PATH_ESCAPES[c]!);
  return `${method}&${canonicalPath(escaped)}&${queryString(sorted)}`;
}

const PATH_ESCAPES: Record<string, string> = { "'": '%27', '^': '%5E', '|': '%7C' };

function canonicalPath(path: string): string {
  let p = path.replaceAll('&', '%26');
  if (!p.startsWith('/')) p = '/' + p;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function queryString(params: Param[]): string {
  return params.map((p) => `${p.encodedName}=${p.encodedValues}`).join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/** RFC 3986 percent-encoding of everything but the unreserved characters `A-Z a-z 0-9 - . _ ~`. */
function encodeRfc3986(value: string): string {
  if (UNRESERVED.test(value)) return value;
  // encodeURIComponent also leaves ! ' ( ) * alone. It throws on a lone surrogate, but names and values
  // only ever come out of URLSearchParams, whose decoding yields U+FFFD instead.
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function sha256Hex(input: string): string {
  return createHash('sha256').update(input, 'utf8').digest('hex');
}
