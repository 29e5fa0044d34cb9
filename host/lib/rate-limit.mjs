/**
 * Rate limits, as Jira answers them, on demand: the dashboard (or `POST /sites/<site>/_admin/rate-limit`
 * with `calls`, `retryAfter` seconds and `status` 429|503) makes the site's next N product REST calls,
 * Connect (/rest) and Forge (/forge-api) alike, answer like Jira's rate limiter, so a developer can watch
 * the app retry and give up. https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
 *
 * Headers as Jira's "Rate limiting" page describes them: `Retry-After` in seconds; `X-RateLimit-Reset` as
 * the request time plus Retry-After, ISO 8601 `yyyy-MM-ddTHH:mmZ`; `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining: 0`; `RateLimit-Reason` (`jira-burst-based`, one of the reasons Atlassian lists).
 * A 503 carries Retry-After only ("a 503 response may be returned when a resource limit has been reached").
 * The JSON body is the simulator's own: Atlassian does not document the body of a 429.
 */

const MAX_CALLS = 1000;
const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * @typedef {{ remaining: number, retryAfterSeconds: number, status: 429 | 503 }} RateLimit
 */

/**
 * Limits the site's next `calls` product calls; 0 lifts the limit.
 * @param {import('./store.mjs').Site & { rateLimit?: RateLimit }} site
 * @param {{ calls: number, retryAfterSeconds: number, status?: number }} options
 * @example setRateLimit(site, { calls: 3, retryAfterSeconds: 2 })
 */
export function setRateLimit(site, { calls, retryAfterSeconds, status = 429 }) {
  if (!Number.isInteger(calls) || calls < 0 || calls > MAX_CALLS) throw new TypeError(`calls must be a whole number from 0 to ${MAX_CALLS}.`);
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0 || retryAfterSeconds > MAX_RETRY_AFTER_SECONDS) {
    throw new TypeError(`retryAfter must be a whole number of seconds from 0 to ${MAX_RETRY_AFTER_SECONDS}.`);
  }
  if (status !== 429 && status !== 503) throw new TypeError('status must be 429 or 503.');
  if (calls === 0) delete site.rateLimit;
  else site.rateLimit = { remaining: calls, retryAfterSeconds, status };
}

/**
 * If the site is limited, counts this call against the limit and returns the answer to send instead.
 * @param {import('./store.mjs').Site & { rateLimit?: RateLimit }} site @param {number} [nowMs]
 * @returns {{ status: number, headers: Record<string, string>, body: unknown } | undefined}
 */
export function takeRateLimit(site, nowMs = Date.now()) {
  const limit = site.rateLimit;
  if (!limit || limit.remaining <= 0) return undefined;
  limit.remaining -= 1;
  if (limit.remaining === 0) delete site.rateLimit;
  const retryAfter = String(limit.retryAfterSeconds);
  if (limit.status === 503) return { status: 503, headers: { 'retry-after': retryAfter }, body: { errorMessages: ['Service unavailable (simulated resource limit).'] } };
  const reset = new Date(nowMs + limit.retryAfterSeconds * 1000).toISOString().slice(0, 16) + 'Z';
  return {
    status: 429,
    headers: { 'retry-after': retryAfter, 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, 'ratelimit-reason': 'jira-burst-based' },
    body: { errorMessages: ['Rate limit exceeded (simulated).'] },
  };
}
