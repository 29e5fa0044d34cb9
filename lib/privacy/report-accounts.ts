/**
 * Atlassian's Personal data reporting API, one call: the app names accounts it stores personal data for,
 * Atlassian answers which of them must be erased (`closed`) or refreshed (`updated`).
 * https://developer.atlassian.com/cloud/jira/platform/user-privacy-developer-guide/
 *
 *   POST <endpoint>  {"accounts":[{"accountId","updatedAt"}]}   at most 90 accounts, updatedAt in RFC 3339
 *   200  {"accounts":[{"accountId","status":"closed"|"updated"}]}   act on these
 *   204  nothing to do
 *   429  wait `Retry-After` seconds
 *   any answer may carry `Cycle-Period`, the reporting cycle (7 days when absent)
 *
 * The endpoint depends on the door (./doors.ts); this module is the shape of the exchange only.
 */
import { ProductApiError, productErrorFromResponse } from '../connect/product-error';
import type { ProductClient } from '../connect/product-client';
import { parseRetryAfter as parseRetryAfterMs } from '../connect/rate-limit';

/** "Each request allows up to 90 accounts to be reported on." (`@forge/api` privacy: `LIMIT = 90`) */
export const REPORT_BATCH_SIZE = 90;
/** "By default, the cycle period is 7 days." */
export const DEFAULT_CYCLE_SECONDS = 7 * 24 * 3600;
/** Shortest cycle honoured: a garbled Cycle-Period must not make the app report every few minutes. */
export const MIN_CYCLE_SECONDS = 24 * 3600;
/** Longest cycle honoured, so a garbled header cannot stop reporting for good. */
export const MAX_CYCLE_SECONDS = 90 * 24 * 3600;
/** Wait after a 429 without a usable Retry-After. */
export const DEFAULT_RETRY_AFTER_SECONDS = 60;
/** Longest Retry-After honoured (a day): beyond that the next scheduled run tries again anyway. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

export interface ReportedAccount {
  accountId: string;
  /** RFC 3339: when the app last changed the personal data it holds for this account. */
  updatedAt: string;
}

export type AccountStatus = 'closed' | 'updated';

export interface AccountUpdate {
  accountId: string;
  status: AccountStatus;
}

export type ReportAnswer =
  | { kind: 'answered'; updates: AccountUpdate[]; cycleSeconds: number | undefined }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

/** Where one door sends the report, and with which credential (./doors.ts). */
export interface ReportEndpoint {
  door: 'connect' | 'forge';
  client: ProductClient;
  path: string;
  /** The whole exchange, body included, at most this long. Default 10 000 ms. */
  timeoutMs?: number;
}

const DEFAULT_EXCHANGE_TIMEOUT_MS = 10_000;

/**
 * Reports one batch. Only accounts that were sent are ever returned, so an answer can never make the app
 * act on data it did not ask about. Throws ProductApiError for any answer but 200, 204 and 429.
 *
 * @example const answer = await reportAccounts(endpoint, [{ accountId, updatedAt: '2026-12-01T10:00:00.000Z' }]);
 */
export async function reportAccounts(endpoint: ReportEndpoint, accounts: ReportedAccount[]): Promise<ReportAnswer> {
  if (accounts.length < 1 || accounts.length > REPORT_BATCH_SIZE) {
    throw new RangeError(`A report names 1 to ${REPORT_BATCH_SIZE} accounts, not ${accounts.length}.`);
  }
  // The client's own timeout ends at the response headers; this one also bounds reading the answer, so a run
  // inside Forge's 5 s cannot hang on a slow body.
  const timeoutMs = endpoint.timeoutMs ?? DEFAULT_EXCHANGE_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await exchange(endpoint, accounts, signal);
  } catch (err) {
    if (signal.aborted) {
      throw new ProductApiError('PRODUCT_TIMEOUT', `The personal data reporting API did not answer within ${timeoutMs} ms.`);
    }
    throw err;
  }
}

async function exchange(endpoint: ReportEndpoint, accounts: ReportedAccount[], signal: AbortSignal): Promise<ReportAnswer> {
  const response = await endpoint.client.fetch(endpoint.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ accounts: accounts.map(({ accountId, updatedAt }) => ({ accountId, updatedAt })) }),
    signal,
  });
  const cycleSeconds = parseCyclePeriod(response.headers.get('cycle-period'));
  if (response.status === 429) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'rate-limited', retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')) };
  }
  if (response.status === 204) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'answered', updates: [], cycleSeconds };
  }
  if (response.status !== 200) throw await productErrorFromResponse(response, 'POST', new URL(endpoint.path, 'http://product.invalid'));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ProductApiError('PRODUCT_ERROR', 'The personal data reporting API answered 200 with a body that is not JSON.', 200);
  }
  const sent = new Set(accounts.map((a) => a.accountId));
  const list = (body as { accounts?: unknown } | null)?.accounts;
  const updates: AccountUpdate[] = [];
  const seen = new Set<string>();
  for (const item of Array.isArray(list) ? list : []) {
    const { accountId, status } = (item ?? {}) as { accountId?: unknown; status?: unknown };
    if (typeof accountId !== 'string' || !sent.has(accountId) || seen.has(accountId)) continue;
    if (status !== 'closed' && status !== 'updated') continue;
    seen.add(accountId);
    updates.push({ accountId, status });
  }
  return { kind: 'answered', updates, cycleSeconds };
}

/**
 * The `Cycle-Period` header in seconds, or undefined when absent or unreadable. Atlassian's guide names the
 * header but its value's format could not be confirmed here; accepted: a number of days, optionally followed
 * by "day(s)" (`7`, `7 Days`), or an ISO 8601 duration in days (`P7D`). Clamped to 1–90 days.
 *
 * @example parseCyclePeriod('14 Days') // 1209600
 */
export function parseCyclePeriod(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const match = /^\s*(?:(\d{1,4})\s*(?:days?)?|P(\d{1,4})D)\s*$/i.exec(raw);
  if (!match) return undefined;
  const days = Number(match[1] ?? match[2]);
  if (days < 1) return undefined;
  return Math.min(Math.max(days * 24 * 3600, MIN_CYCLE_SECONDS), MAX_CYCLE_SECONDS);
}

/**
 * `Retry-After` in whole seconds, read by the product client's one parser (lib/connect/rate-limit.ts:
 * delta-seconds or an HTTP-date, RFC 9110 §10.2.3); 60 s when missing or unreadable; at most a day.
 *
 * @example parseRetryAfter('120') // 120
 */
export function parseRetryAfter(raw: string | null, now: Date = new Date()): number {
  const ms = parseRetryAfterMs(raw, now.getTime());
  if (ms === undefined) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(Math.ceil(ms / 1000), MAX_RETRY_AFTER_SECONDS);
}
