/**
 * The one way the app sends a credentialed request to an Atlassian product, whichever door the credential
 * came from: a Connect JWT or user token (./host-client.ts), or a Forge app/user token (lib/forge/product-client.ts).
 *
 * A credential is only ever sent to one base (an origin and a base path: the tenant's `baseUrl`, or the
 * FIT's `app.apiBaseUrl`): relative paths are resolved under it, absolute URLs elsewhere are refused, and
 * redirects are followed by hand, only within the base, with a fresh Authorization for the new URL.
 * (atlassian-connect-express once followed a redirect to another host with the Authorization header
 * attached: CVE-2023-28155.) A timeout aborts a product that does not answer.
 *
 * A 429 (and a 503 with Retry-After) is sent again a bounded number of times after the wait the product
 * asks for, plus jitter, inside the same timeout (./rate-limit.ts); then the last answer is reported as any
 * other non-2xx answer.
 */
import { ProductApiError, productErrorFromResponse } from './product-error';
import { isWithinTenant, resolveProductUrl, type ProductBase } from './product-url';
import { retryDecision, sleep as timerSleep, type RetryPolicy } from './rate-limit';

/** Requests to one product base with one identity. Paths are relative to the base. */
/** Requests to one tenant with one identity. Paths are relative to the tenant's `baseUrl`. */
export interface ProductClient {
  /**
   * Sends a signed request and returns the product's response as is, whatever its status; throws
   * ProductApiError only when no response came back (timeout, connection, refused URL or redirect).
   * The timeout covers the wait for response headers; pass `init.signal` to bound reading a streamed body.
   *
   * @example const res = await hostClient(tenant).asApp().fetch('/rest/api/3/issue/NOTE-1?fields=summary')
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * GET, parsed JSON. Throws ProductApiError on a non-2xx status (PRODUCT_FORBIDDEN on 403, …).
   *
   * @example const issue = await hostClient(tenant).asApp().getJson<{ fields: { summary: string } }>('/rest/api/3/issue/NOTE-1?fields=summary')
   */
  getJson<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  /**
   * POST a JSON body; the parsed JSON answer (`undefined` for an empty one, e.g. 204).
   *
   * @example await client.postJson('/rest/api/3/issue/NOTE-1/comment', { body: adfDocument })
   */
  postJson<T = unknown>(path: string, body: unknown, init?: RequestInit): Promise<T>;
  /**
   * PUT a JSON body; the parsed JSON answer (`undefined` for an empty one).
   *
   * @example await client.putJson('/rest/api/3/issue/NOTE-1/properties/notes', { count: 3 })
   */
  putJson<T = unknown>(path: string, body: unknown, init?: RequestInit): Promise<T>;
  /**
   * DELETE; the parsed JSON answer, usually `undefined` (204).
   *
   * @example await client.deleteJson('/rest/api/3/issue/NOTE-1/properties/notes')
   */
  deleteJson<T = unknown>(path: string, init?: RequestInit): Promise<T>;
}

/** Timeout, redirects, rate-limit retries and transport of {@link productClient}. */
export interface ProductFetchOptions {
  /**
   * The call's time budget: abort when no final response headers arrived within this long (JSON helpers: no
   * complete body), counting every attempt and every rate-limit wait. Default 10 000 ms.
   */
  timeoutMs?: number;
  /** Retries of 429 / 503 + Retry-After (./rate-limit.ts). Default: 2 retries, real clock, timer and jitter. */
  retry?: RetryPolicy;
  /** Same-base redirects followed (each re-authorized) before giving up with TOO_MANY_REDIRECTS. Default 3. */
  maxRedirects?: number;
  fetch?: typeof fetch;
}

/** How one identity authorizes a request. */
export interface Signer {
  /** The Authorization header value for this exact request. */
  authorization(method: string, url: URL): Promise<string>;
  /** Called when the product answered 401 to `authorization`. */
  refused?(authorization: string): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * A client for `base` that authorizes every request (and every redirect hop) with `signer`.
 *
 * @example productClient(productBase(tenant.baseUrl), { timeoutMs: 5000 }, { authorization: async () => `Bearer ${token}` })
 */
export function productClient(base: ProductBase, options: ProductFetchOptions, signer: Signer): ProductClient {
  const send = (path: string, init: RequestInit | undefined, timeBody: boolean) => signedFetch(base, options, signer, path, init, timeBody);

  async function json<T>(method: string, path: string, body: unknown, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    if (body !== undefined) headers.set('content-type', 'application/json');
    const sent = await send(path, { ...init, method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, true);
    try {
      if (!sent.response.ok) throw await productErrorFromResponse(sent.response, sent.method, sent.url);
      let text: string;
      try {
        text = await sent.response.text();
      } catch (err) {
        throw sent.failure(err);
      }
      if (!text.trim()) return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ProductApiError('PRODUCT_ERROR', `The product answered ${sent.method} ${sent.url.pathname} with a body that is not JSON.`, sent.response.status);
      }
    } finally {
      sent.done();
    }
  }

  return {
    fetch: async (path, init) => (await send(path, init, false)).response,
    getJson: (path, init) => json('GET', path, undefined, init),
    postJson: (path, body, init) => json('POST', path, body, init),
    putJson: (path, body, init) => json('PUT', path, body, init),
    deleteJson: (path, init) => json('DELETE', path, undefined, init),
  };
}

interface Sent {
  response: Response;
  /** The URL and method that produced `response` (after redirects). */
  url: URL;
  method: string;
  /** Stops the timeout. */
  done(): void;
  /** Maps an error thrown while reading the body (timeout, reset) to a ProductApiError. */
  failure(err: unknown): unknown;
}

/**
 * Resolves, signs and sends; follows same-tenant redirects by hand, re-signing each hop. With `timeBody`
 * the timeout keeps running until `done()`; otherwise it stops when the response headers arrive.
 */
async function signedFetch(
  base: ProductBase,
  options: ProductFetchOptions,
  signer: Signer,
  path: string,
  init: RequestInit = {},
  timeBody: boolean,
): Promise<Sent> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, maxRedirects = DEFAULT_MAX_REDIRECTS, fetch: fetchImpl = fetch, retry = {} } = options;
  const now = retry.now ?? Date.now;
  const deadline = now() + timeoutMs;
  let url = resolveProductUrl(base, path);
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);

  const timeout = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    timeout.abort(new DOMException('The product did not answer in time.', 'TimeoutError'));
  }, timeoutMs);
  const done = () => clearTimeout(timer);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  const failure = (err: unknown): unknown => {
    if (timedOut) return new ProductApiError('PRODUCT_TIMEOUT', `The product did not answer ${method} ${url.pathname} within ${timeoutMs} ms.`);
    if (init.signal?.aborted) return init.signal.reason; // the caller's own abort, as fetch reports it
    return new ProductApiError('PRODUCT_UNREACHABLE', `The product could not be reached for ${method} ${url.pathname}.`);
  };

  try {
    for (let hops = 0, retries = 0; ; ) {
      const authorization = await signer.authorization(method, url);
      headers.set('authorization', authorization);
      let response: Response;
      try {
        response = await fetchImpl(url, { ...init, method, headers, body, redirect: 'manual', signal });
      } catch (err) {
        throw failure(err);
      }
      if (response.status === 401) signer.refused?.(authorization);

      // A streamed body cannot be sent again, so its 429 is final.
      const decision = body instanceof ReadableStream ? { retry: false as const } : retryDecision(response, method, retries, deadline - now(), retry);
      if (decision.retry) {
        await response.body?.cancel().catch(() => undefined);
        try {
          await (retry.sleep ?? timerSleep)(decision.waitMs, signal);
        } catch (err) {
          throw failure(err);
        }
        retries++;
        continue;
      }

      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        if (!timeBody) done();
        return { response, url, method, done, failure };
      }

      await response.body?.cancel().catch(() => undefined);
      if (hops >= maxRedirects) {
        throw new ProductApiError('TOO_MANY_REDIRECTS', `The product redirected ${method} ${url.pathname} more than ${maxRedirects} times.`, response.status);
      }
      let next: URL | undefined;
      try {
        next = new URL(location, url);
      } catch {
        next = undefined;
      }
      if (!next || !isWithinTenant(base, next)) {
        // Never followed: the new URL would receive a token minted for this tenant.
        throw new ProductApiError('REDIRECT_NOT_ALLOWED', `The product redirected ${method} ${url.pathname} off the tenant's origin or base path; not followed.`, response.status);
      }
      next.hash = '';
      hops++;
      // As fetch does: 303 turns anything but HEAD into GET, 301/302 turn POST into GET; the body is dropped.
      if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers.delete('content-type');
        headers.delete('content-length');
      } else if (body instanceof ReadableStream) {
        throw new ProductApiError('REDIRECT_NOT_ALLOWED', `The product redirected ${method} ${url.pathname}, and a streamed body cannot be sent again.`, response.status);
      }
      url = next;
    }
  } catch (err) {
    done();
    throw err;
  }
}
