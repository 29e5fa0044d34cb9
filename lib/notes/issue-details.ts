/**
 * `GET /api/issue-details?issueKey=NOTE-1&accountIds=a,b` (context token) and `GET /api/forge/issue-details`
 * (Forge Invocation Token): what the notes UI shows beside the notes, fetched from Jira so the notes API
 * itself stays a pure database path. One code path ({@link issueDetailsFor}) for both doors: the Connect door
 * calls Jira with the tenant's shared secret and OAuth user tokens (lib/connect/host-client.ts), the Forge
 * door with the tokens Forge sent along (lib/forge/product-client.ts).
 *
 *   200 {
 *     issue: { key, summary: string | null, reason: string | null, via: 'app' | 'user' | null } | null,  // null without issueKey
 *     users: [{ accountId, displayName: string | null, reason: string | null, via: 'user' | 'app' | null }]
 *   }
 *
 * - The summary is fetched as the app (`asApp`) when the token was minted on that issue's page: Jira vouches
 *   that the user is looking at it. A general page's token vouches for no issue, and the app may see issues
 *   the user may not, so then the summary is fetched as the user, or not at all (reason
 *   IMPERSONATION_UNAVAILABLE) where the app cannot act as users.
 * - Display names are fetched as the user (`asUser(sub)`), so Jira applies that user's view of profiles, or as
 *   the app where impersonation is unavailable (no `oauthClientId`, no ACT_AS_USER scope, anonymous viewer):
 *   names of the site's users are not secret from its users the way issues can be.
 * - A product failure (403, 404, timeout, …) does not fail the response: that field is null and `reason` is
 *   the ProductApiError code (`PRODUCT_FORBIDDEN`, …). Only a bug is a 500.
 */
import { getConfig } from '../config';
import { ConnectError } from '../connect/errors';
import { hostClient as defaultHostClient, type HostClient } from '../connect/host-client';
import { ProductApiError } from '../connect/product-error';
import { ACCOUNT_ID } from '../connect/user-token';
import { authenticate, connectCaller, type AuthenticateDeps } from '../http/authenticate';
import { LruCache } from '../cache';
import type { VerifiedCaller } from '../sites/caller';
import { tenantStore } from '../tenants/store';
import type { Tenant } from '../tenants/types';
import { assertIssueBound } from './issue-context';
import { requireIssueKey } from './issue-key';

export interface IssueDetails {
  issue: { key: string; summary: string | null; reason: string | null; via: 'app' | 'user' | null } | null;
  users: UserDetails[];
}

export interface UserDetails {
  accountId: string;
  displayName: string | null;
  /** Why `displayName` is null: a ProductApiError code, or `NO_DISPLAY_NAME` when the product sent none. */
  reason: string | null;
  /** Whose permissions the name was fetched with; null when it could not be fetched. */
  via: 'user' | 'app' | null;
}

export interface IssueDetailsDeps extends AuthenticateDeps {
  /** Default: `hostClient(tenant, { timeoutMs: PRODUCT_TIMEOUT_MS })`. */
  hostClient?: (tenant: Tenant) => HostClient;
  /** Default: {@link defaultDisplayNameCache}. */
  displayNames?: DisplayNameCache;
  now?: Date;
}

/** Jira as the app or as a user, whichever door's credentials stand behind it. */
export type ProductAccess = Pick<HostClient, 'asApp' | 'asUser'>;

/** Most account ids one request may ask about: a page of notes has a handful of authors. */
export const MAX_ACCOUNT_IDS = 20;
/** The iframe waits for this call; better a missing name than a spinner for Jira's default 10 s. */
export const PRODUCT_TIMEOUT_MS = 5_000;
/** User lookups in flight at once, per request: stays well inside Jira's rate limits. */
const USER_LOOKUP_CONCURRENCY = 4;

/**
 * Display names by (site, viewer, account): a name fetched as one user is not shown to another, because
 * Jira answers each viewer according to the profile's visibility settings. Bounded and short-lived: names
 * change, and a removed user should disappear soon.
 *
 * @example new DisplayNameCache({ max: 1000, ttlMs: 60_000 })
 */
export class DisplayNameCache {
  readonly #cache: LruCache<{ displayName: string; via: 'user' | 'app' }>;

  /** Defaults: 5000 names, 5 minutes. */
  constructor({ max = 5000, ttlMs = 5 * 60_000, now }: { max?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#cache = new LruCache({ max, ttlMs, now });
  }

  get(siteId: string, viewer: string | undefined, accountId: string) {
    return this.#cache.get(key(siteId, viewer, accountId));
  }

  set(siteId: string, viewer: string | undefined, accountId: string, value: { displayName: string; via: 'user' | 'app' }): void {
    this.#cache.set(key(siteId, viewer, accountId), value);
  }

  /**
   * Drops every name cached for or by this account, on any site (personal data reporting: the account was
   * closed or its profile changed, lib/privacy/). Returns how many entries went.
   */
  forgetAccount(accountId: string): number {
    return this.#cache.deleteWhere((k) => {
      const [, viewer, subject] = JSON.parse(k) as [string, string | null, string];
      return subject === accountId || viewer === accountId;
    });
  }

  clear(): void {
    this.#cache.clear();
  }

  get size(): number {
    return this.#cache.size;
  }
}

function key(siteId: string, viewer: string | undefined, accountId: string): string {
  return JSON.stringify([siteId, viewer ?? null, accountId]);
}

/** The process's display-name cache; exported so it can be cleared or replaced, not hidden. */
export const defaultDisplayNameCache = new DisplayNameCache();

/** The app's dependencies. */
export function issueDetailsDeps(): IssueDetailsDeps {
  return { store: tenantStore(), appBaseUrl: getConfig().appUrl };
}

/**
 * The Connect door: `GET /api/issue-details` with a context token; Jira is called through the tenant's
 * host client.
 *
 * @example return handle(() => issueDetails(request, issueDetailsDeps()));
 */
export async function issueDetails(request: Request, deps: IssueDetailsDeps): Promise<Response> {
  const verified = await authenticate(request, 'context', deps);
  const client = (deps.hostClient ?? ((t) => defaultHostClient(t, { timeoutMs: PRODUCT_TIMEOUT_MS })))(verified.tenant);
  return issueDetailsFor(connectCaller(verified), request, client, deps.displayNames);
}

/**
 * The answer for a verified caller of either door, with `product` holding that door's credentials.
 *
 * @example return issueDetailsFor(caller, request, forgeProductClient(forge), names);
 */
export async function issueDetailsFor(caller: VerifiedCaller, request: Request, product: ProductAccess, names: DisplayNameCache = defaultDisplayNameCache): Promise<Response> {
  const url = new URL(request.url);
  const issueKeyParam = single(url, 'issueKey');
  const issueKey = issueKeyParam === undefined ? undefined : requireIssueKey(issueKeyParam, 'issueKey');
  const accountIds = parseAccountIds(single(url, 'accountIds'));
  // Names are not tied to an issue: any token of the site may ask for them; an issue only with its own token.
  if (issueKey !== undefined) assertIssueBound(caller.boundIssueKey, issueKey);

  const [issue, users] = await Promise.all([
    issueKey === undefined ? null : issueSummary(product, issueKey, caller.boundIssueKey === issueKey ? undefined : caller.accountId ?? null),
    mapLimit(accountIds, USER_LOOKUP_CONCURRENCY, (id) => displayName(product, names, caller.siteId, caller.accountId, id)),
  ]);
  const body: IssueDetails = { issue, users };
  return Response.json(body, { headers: { 'Cache-Control': 'no-store' } });
}

/**
 * `asUser`: undefined to fetch as the app (the token vouches for the issue), an account id to fetch as that
 * user, null when there is nobody to fetch as (an anonymous viewer on a general page).
 */
async function issueSummary(client: ProductAccess, issueKey: string, asUser: string | null | undefined): Promise<IssueDetails['issue']> {
  const via = asUser === undefined ? 'app' : 'user';
  try {
    if (asUser === null) throw new ProductApiError('IMPERSONATION_UNAVAILABLE', 'Nobody to act as.');
    const product = asUser === undefined ? client.asApp() : client.asUser(asUser);
    const issue = await product.getJson<{ fields?: { summary?: unknown } }>(`/rest/api/3/issue/${encodeURIComponent(issueKey)}?fields=summary`);
    const summary = issue?.fields?.summary;
    return typeof summary === 'string' ? { key: issueKey, summary, reason: null, via } : { key: issueKey, summary: null, reason: 'NO_SUMMARY', via: null };
  } catch (err) {
    return { key: issueKey, summary: null, reason: productFailure(err), via: null };
  }
}

async function displayName(client: ProductAccess, names: DisplayNameCache, siteId: string, viewer: string | undefined, accountId: string): Promise<UserDetails> {
  const cached = names.get(siteId, viewer, accountId);
  if (cached) return { accountId, ...cached, reason: null };
  try {
    const { user, via } = await fetchUser(client, viewer, `/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`);
    if (typeof user?.displayName !== 'string') return { accountId, displayName: null, reason: 'NO_DISPLAY_NAME', via: null };
    names.set(siteId, viewer, accountId, { displayName: user.displayName, via });
    return { accountId, displayName: user.displayName, reason: null, via };
  } catch (err) {
    return { accountId, displayName: null, reason: productFailure(err), via: null };
  }
}

type UserJson = { displayName?: unknown } | undefined;

/** As the viewer when the app may act as users; as the app when it may not, or nobody is signed in. */
async function fetchUser(client: ProductAccess, viewer: string | undefined, path: string): Promise<{ user: UserJson; via: 'user' | 'app' }> {
  if (viewer) {
    try {
      return { user: await client.asUser(viewer).getJson<UserJson>(path), via: 'user' };
    } catch (err) {
      // Only a missing capability falls back. A refusal (403) or a failed token exchange as the user is
      // reported, never retried with the app's wider permissions.
      if (!(err instanceof ProductApiError && err.code === 'IMPERSONATION_UNAVAILABLE')) throw err;
    }
  }
  return { user: await client.asApp().getJson<UserJson>(path), via: 'app' };
}

/** The code of a product failure; anything else is a bug and propagates (500). */
function productFailure(err: unknown): string {
  if (err instanceof ProductApiError) return err.code;
  throw err;
}

function single(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) throw new ConnectError('BAD_REQUEST', `Send ${name} once.`);
  return values[0];
}

function parseAccountIds(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const ids = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
  if (ids.length > MAX_ACCOUNT_IDS) throw new ConnectError('BAD_REQUEST', `Ask about at most ${MAX_ACCOUNT_IDS} accountIds at once.`);
  if (!ids.every((id) => ACCOUNT_ID.test(id))) throw new ConnectError('BAD_REQUEST', 'accountIds must be Atlassian account ids, comma-separated.');
  return ids;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
