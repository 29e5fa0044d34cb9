/**
 * Atlassian's rate limits, as the product client meets them (one rule for both doors: lib/connect/product-client.ts
 * is the one client under the Connect host client and the Forge product client).
 *
 * Jira Cloud "Rate limiting" (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/):
 *   - "Apps can detect rate limits by checking if the HTTP response status code is 429. Any REST API can
 *     return a rate limit response."
 *   - "Retry-After indicates how many seconds the app must wait before reissuing the request. If you reissue
 *     the request before the retry period expires, the request will fail and return the same or longer
 *     Retry-After period." So jitter is only ever added on top of Retry-After, never taken off it.
 *   - "Some transient 5XX errors are accompanied by a Retry-After header. For example, a 503 response may be
 *     returned when a resource limit has been reached. While these are not rate limit responses, they can be
 *     handled with similar logic."
 *   - Its response-handling pseudo code: at most 4 retries ("Should be 0 to disable (e.g. API is not
 *     idempotent)"), 5 s doubling to 30 s without Retry-After, jitter ×0.7–1.3.
 *
 * What this module adds to that: every wait happens inside the call's own time budget (the client's
 * `timeoutMs`, counted from the first attempt), and a wait that would end after the budget is not started:
 * the call gives up at once with the product's answer, so an interactive request fails in its time, not
 * after Jira's Retry-After. 429 is retried for every method (the rate limiter refused it before it was
 * processed); 503 only with Retry-After and only for idempotent methods, since a 503 does not promise that.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. Default 2 (an interactive request has 10 s; Atlassian's batch maximum is 4). */
  maxRetries?: number;
  /** The first wait on a 429 without Retry-After, doubling each retry. Default 1000 ms. */
  initialDelayMs?: number;
  /** The longest computed wait without Retry-After. Default 30 000 ms (Atlassian's pseudo code). */
  maxDelayMs?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Waits `ms`; rejects with `signal.reason` when `signal` aborts. Default: a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_INITIAL_DELAY_MS = 1000;
const DEFAULT_MAX_DELAY_MS = 30_000;
/** Up to 30% on top of the wait: many instances refused together do not all come back on the same tick. */
const JITTER = 0.3;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * `Retry-After` in milliseconds from `nowMs` (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date); undefined
 * when absent or not one of the two. A date in the past is 0.
 *
 * @example parseRetryAfter('7', Date.now()) // 7000
 * @example parseRetryAfter('Sun, 06 Dec 2026 03:00:10 GMT', Date.parse('2026-12-06T03:00:00Z')) // 10000
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date names its weekday and GMT; Date.parse alone would also take "2026-12-06" or "5 minutes".
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** What the retry loop decides about one answer. */
export type RetryDecision = { retry: true; waitMs: number } | { retry: false };

/**
 * Whether to send the request again after `response`, and after how long. `retriesSoFar` counts retries
 * already made; `remainingMs` is what is left of the call's budget. Never retries once the budget would
 * be spent by the wait itself.
 *
 * @example retryDecision(response, 'GET', 0, 8000, {}) // { retry: true, waitMs: 2000..2600 } for Retry-After: 2
 */
export function retryDecision(response: Response, method: string, retriesSoFar: number, remainingMs: number, policy: RetryPolicy): RetryDecision {
  const { maxRetries = DEFAULT_MAX_RETRIES, initialDelayMs = DEFAULT_INITIAL_DELAY_MS, maxDelayMs = DEFAULT_MAX_DELAY_MS } = policy;
  const random = policy.random ?? Math.random;
  if (retriesSoFar >= maxRetries) return { retry: false };
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), (policy.now ?? Date.now)());

  let baseMs: number;
  if (response.status === 429) {
    baseMs = retryAfter ?? Math.min(initialDelayMs * 2 ** retriesSoFar, maxDelayMs);
  } else if (response.status === 503 && retryAfter !== undefined && IDEMPOTENT.has(method)) {
    baseMs = retryAfter;
  } else {
    return { retry: false };
  }
  const waitMs = Math.ceil(baseMs * (1 + JITTER * random()));
  // The retry needs time of its own to be answered: a wait that reaches the end of the budget is pointless.
  if (waitMs >= remainingMs) return { retry: false };
  return { retry: true, waitMs };
}

/**
 * A timer that rejects with `signal.reason` when the signal aborts (the caller's abort or the call's timeout).
 *
 * @example await sleep(2000, signal)
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
