/**
 * The error of calls from the app to a product (Jira, Confluence) and to Atlassian's OAuth server.
 * Callers branch on `code`; `status` is the product's HTTP status when it answered. A 403 is routine:
 * what the app may do is the intersection of its scopes and its app user's (or the impersonated user's)
 * permissions, so callers should expect PRODUCT_FORBIDDEN and handle it.
 * https://developer.atlassian.com/cloud/jira/platform/scopes-for-connect-apps/
 *
 * `message` is safe to show and log: it names the method and path (never the query, which may hold
 * user data) and never contains a token, an assertion or a secret.
 */
import { parseRetryAfter } from './rate-limit';

export type ProductApiErrorCode =
  /** The product answered 401: the token was refused (wrong secret, clock skew, revoked user token). */
  | 'PRODUCT_UNAUTHORIZED'
  /** The product answered 403: the app (or user) lacks the scope or permission. */
  | 'PRODUCT_FORBIDDEN'
  | 'PRODUCT_NOT_FOUND'
  /** Any other non-2xx answer, or a 2xx whose body is not the JSON a JSON helper expected. */
  | 'PRODUCT_ERROR'
  /** No answer within the timeout. */
  | 'PRODUCT_TIMEOUT'
  /** The connection failed (DNS, refused, reset, TLS). */
  | 'PRODUCT_UNREACHABLE'
  /** The URL is not on the tenant's own origin and base path; nothing was sent. */
  | 'URL_NOT_ALLOWED'
  /** The product redirected off the tenant's origin or base path; the redirect was not followed. */
  | 'REDIRECT_NOT_ALLOWED'
  | 'TOO_MANY_REDIRECTS'
  /**
   * The tenant has no `oauthClientId`, or the descriptor lacks the ACT_AS_USER scope; on Forge, no user token
   * came with the invocation, or it is for another user than the one asked for.
   */
  | 'IMPERSONATION_UNAVAILABLE'
  /** Forge sent no app system token (`x-forge-oauth-system`): the remote's `auth.appSystemToken` is off. */
  | 'APP_TOKEN_UNAVAILABLE'
  /** The OAuth server did not issue a user access token. */
  | 'TOKEN_EXCHANGE_FAILED';

/**
 * @example
 * try {
 *   await hostClient(tenant).asApp().getJson(`/rest/api/3/issue/${key}`);
 * } catch (err) {
 *   if (err instanceof ProductApiError && err.code === 'PRODUCT_FORBIDDEN') return showNoAccess();
 *   throw err;
 * }
 */
export class ProductApiError extends Error {
  constructor(
    readonly code: ProductApiErrorCode,
    message: string,
    /** The HTTP status the product (or OAuth server) answered with; null when there was no answer. */
    readonly status: number | null = null,
    /** Error messages from the product's body (Jira `errorMessages`/`errors`, Confluence `message`), bounded. */
    readonly errorMessages: string[] = [],
    /**
     * The product's `Retry-After` in milliseconds, when it sent one (429, 503): for a caller that schedules
     * work (a batch job) to wait that long before its next call. The client has already retried within its budget.
     */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProductApiError';
  }
}

const MAX_MESSAGES = 10;
const MAX_MESSAGE_CHARS = 500;
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/**
 * The code for a non-2xx product status.
 *
 * @example codeForStatus(403) // 'PRODUCT_FORBIDDEN'
 */
export function codeForStatus(status: number): ProductApiErrorCode {
  if (status === 401) return 'PRODUCT_UNAUTHORIZED';
  if (status === 403) return 'PRODUCT_FORBIDDEN';
  if (status === 404) return 'PRODUCT_NOT_FOUND';
  return 'PRODUCT_ERROR';
}

/**
 * The error for a non-2xx product response, with the product's own messages when its body has them.
 * Reads (and so consumes) the body.
 *
 * @example if (!response.ok) throw await productErrorFromResponse(response, 'GET', url)
 */
export async function productErrorFromResponse(response: Response, method: string, url: URL): Promise<ProductApiError> {
  const text = await response.text().catch(() => '');
  const messages = errorMessagesOf(text.slice(0, MAX_ERROR_BODY_CHARS));
  return new ProductApiError(
    codeForStatus(response.status),
    `The product answered ${response.status} to ${method.toUpperCase()} ${url.pathname}.`,
    response.status,
    messages,
    parseRetryAfter(response.headers.get('retry-after'), Date.now()),
  );
}

/** Jira: `{ errorMessages: [...], errors: { field: msg } }`; Confluence: `{ message, data: { errors: [{ message: { key } }] } }`. */
function errorMessagesOf(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof body !== 'object' || body === null) return [];
  const b = body as Record<string, unknown>;
  const found: unknown[] = [];
  if (Array.isArray(b.errorMessages)) found.push(...b.errorMessages);
  if (typeof b.errors === 'object' && b.errors !== null && !Array.isArray(b.errors)) found.push(...Object.values(b.errors));
  if (typeof b.message === 'string') found.push(b.message);
  return found
    .filter((m): m is string => typeof m === 'string' && m.length > 0)
    .slice(0, MAX_MESSAGES)
    .map((m) => (m.length > MAX_MESSAGE_CHARS ? m.slice(0, MAX_MESSAGE_CHARS) + '…' : m));
}
