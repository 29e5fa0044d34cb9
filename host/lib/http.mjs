/**
 * The little HTTP plumbing the simulator needs on top of node:http: bodies with a size limit, responses,
 * a regex router, and the same-origin check that keeps other web pages from driving the simulator.
 */

export class HttpError extends Error {
  /** @param {number} status @param {string} message safe to show */
  constructor(status, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {number} [limit] bytes
 * @returns {Promise<Buffer>}
 */
export async function readBody(req, limit = 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `The body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * A form or JSON body as a plain object of strings (JSON values are kept as they are).
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Record<string, any>>}
 */
export async function readFields(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const body = (await readBody(req, 64 * 1024)).toString('utf8');
  if (!body) return {};
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      const value = JSON.parse(body);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
    } catch {
      // fall through
    }
    throw new HttpError(400, 'The body must be a JSON object.');
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body));
  throw new HttpError(415, 'Send application/json or application/x-www-form-urlencoded.');
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string | Buffer} body
 * @param {Record<string, string>} [headers]
 */
export function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} value @param {Record<string, string>} [headers] */
export function sendJson(res, status, value, headers = {}) {
  send(res, status, JSON.stringify(value, null, 2), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {string} html */
export function sendHtml(res, status, html) {
  send(res, status, html, { 'content-type': 'text/html; charset=utf-8', 'x-frame-options': 'DENY' });
}

/** @param {import('node:http').ServerResponse} res @param {string} location */
export function redirect(res, location) {
  send(res, 303, '', { location });
}

/** True when the client asked for JSON (the CLI and tests) rather than a page (a form post). @param {import('node:http').IncomingMessage} req */
export function wantsJson(req) {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/**
 * Whether a state-changing request may be obeyed. Browsers label cross-site requests (Sec-Fetch-Site,
 * Origin), so a page on another origin cannot make the simulator install, uninstall or mint tokens;
 * requests without those headers come from tools (the CLI, curl), which are not a cross-site threat.
 * @param {import('node:http').IncomingMessage} req
 * @param {string} origin the simulator's own origin
 */
export function isSameOrigin(req, origin) {
  const site = req.headers['sec-fetch-site'];
  if (site) return site === 'same-origin' || site === 'none';
  const from = req.headers.origin;
  return !from || from === origin;
}

/**
 * @typedef {(ctx: RouteContext) => Promise<void> | void} Handler
 * @typedef {{ req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL, params: Record<string, string> }} RouteContext
 */

/** Routes by method and a regular expression with named groups, in the order they were added. */
export class Router {
  constructor() {
    /** @type {{ methods: string[], pattern: RegExp, handler: Handler }[]} */
    this.routes = [];
  }

  /**
   * @param {string | string[]} methods '*' for any
   * @param {RegExp} pattern matched against the URL's pathname (still percent-encoded)
   * @param {Handler} handler
   */
  on(methods, pattern, handler) {
    this.routes.push({ methods: Array.isArray(methods) ? methods : [methods], pattern, handler });
    return this;
  }

  /** @param {string} method @param {string} path */
  match(method, path) {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.methods.includes('*') || route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'))) {
        return { handler: route.handler, params: /** @type {Record<string, string>} */ ({ ...m.groups }) };
      }
    }
    return pathMatched ? 'method-not-allowed' : null;
  }
}
