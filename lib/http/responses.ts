/**
 * The one place that turns errors into HTTP responses. A ConnectError becomes its status with a short
 * body naming its code: JSON for APIs, a small HTML page for iframe pages. A database that is down, silent
 * or locked (lib/db/errors.ts) is a 503 DATABASE_UNAVAILABLE with `Retry-After`: the caller (Jira's webhook
 * retries, the iframe, a lifecycle callback) should try again, and nothing was stored. A transaction that lost
 * to a concurrent one (deadlock, serialization failure) is a 503 DATABASE_CONFLICT with `Retry-After` too: it
 * was rolled back, and the same request sent again may succeed; so is a write under a site that a merge removed
 * meanwhile (503 SITE_MOVED: the retry resolves the merged site). Anything else is a bug: it is logged without
 * its stack reaching the client, and the client gets a bare 500.
 */
import { ConnectError } from '../connect/errors';
import { isDatabaseUnavailable, isForeignKeyError, isTransactionConflict } from '../db/errors';
import { log } from '../log';
import { siteMoved } from '../sites/moved';

const NO_STORE = { 'Cache-Control': 'no-store' };
/**
 * Seconds a caller should wait before retrying a 503. About the time the app itself waits on the database
 * (DATABASE_TIMEOUTS), so a retry does not pile onto an outage that is still there.
 */
export const RETRY_AFTER_SECONDS = 5;

interface Described {
  status: number;
  code: string;
  message: string;
}

function describe(err: unknown): Described {
  if (err instanceof ConnectError) return { status: err.status, code: err.code, message: err.message };
  if (isDatabaseUnavailable(err)) {
    // An outage, not a bug: one line with what failed, never the query or its values.
    const { name, code, kind } = (err ?? {}) as { name?: string; code?: unknown; kind?: unknown };
    log.warn('database_unavailable', { name, code, kind });
    return describe(new ConnectError('DATABASE_UNAVAILABLE', 'The database is unavailable. Try again shortly.'));
  }
  if (isTransactionConflict(err)) {
    const { name, code } = (err ?? {}) as { name?: string; code?: unknown };
    log.warn('database_conflict', { name, code });
    return describe(new ConnectError('DATABASE_CONFLICT', 'A concurrent change got in the way. Try again shortly.'));
  }
  if (isForeignKeyError(err)) {
    // A write under a site that a merge just removed (lib/sites/store.ts): nothing was stored, and the retry
    // resolves the merged site. Visible and retryable, never acknowledged and then lost.
    log.warn('site_moved', {});
    // This instance's caches may hold the old siteId: drop them, so the retry resolves the joined site.
    siteMoved();
    return describe(new ConnectError('SITE_MOVED', 'This site was just joined with another. Try again.'));
  }
  // Name, code and the start of the message: enough to find the bug, while a library message that echoes
  // its arguments (a query's values) cannot pour whole records into the logs.
  const { name, message, code } = (err ?? {}) as { name?: string; message?: string; code?: unknown };
  log.error('unhandled_error', { name, code, message: String(message ?? err).slice(0, 200) });
  return { status: 500, code: 'INTERNAL', message: 'Internal error' };
}

function statusHeaders(status: number): Record<string, string> {
  if (status === 401) return { ...NO_STORE, 'WWW-Authenticate': 'JWT' };
  if (status === 503) return { ...NO_STORE, 'Retry-After': String(RETRY_AFTER_SECONDS) };
  return NO_STORE;
}

/** `{ "error": CODE, "message": ... }` with the error's status. */
export function errorResponse(err: unknown): Response {
  const { status, code, message } = describe(err);
  return Response.json({ error: code, message }, { status, headers: statusHeaders(status) });
}

/**
 * A short HTML page for an iframe that may not render: the reason and its code, no app data.
 * `frameAncestors` says who may show it (the product hosts the app accepts).
 */
export function errorPage(err: unknown, frameAncestors: string): Response {
  const { status, code, message } = describe(err);
  const title = status === 401 || status === 403 ? 'This app could not verify the request' : 'This app could not load';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px/20px -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#172b4d;margin:16px}code{background:#f1f2f4;padding:0 4px;border-radius:3px}</style>
</head><body><div class="ac-content"><h1 style="font-size:16px">${title}</h1><p>${escapeHtml(message)} ${status === 503 ? 'Reload the page in a moment.' : 'Reload the page; if this persists, ask your site admin to reinstall the app.'}</p><p>Reason: <code>${code}</code></p></div></body></html>`;
  return new Response(html, {
    status,
    headers: {
      ...statusHeaders(status),
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `frame-ancestors ${frameAncestors}`,
    },
  });
}

/** Runs a handler and maps whatever it throws through `errorResponse`. */
export async function handle(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    return errorResponse(err);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
