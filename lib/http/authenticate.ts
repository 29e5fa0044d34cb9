/**
 * The one way a Connect route proves who is calling: the product's JWT, verified against the tenant it
 * names. Routes (the iframe pages too) call `authenticate(request, mode)`; library code that is tested with its own
 * database passes `deps` instead of relying on the app's configuration.
 */
import { getConfig } from '../config';
import { verifyConnectRequest, type VerifiedConnectRequest, type VerifyMode } from '../connect/jwt';
import { connectLicense } from '../connect/license';
import { contextIssueKey } from '../notes/issue-context';
import type { VerifiedCaller } from '../sites/caller';
import { tenantStore, type TenantReader } from '../tenants/store';

export type { VerifiedConnectRequest, VerifyMode };

/** Where `authenticate` finds the app's base URL and the tenants. Defaults: `getConfig().appUrl`, `tenantStore()`. */
export interface AuthenticateDeps {
  appBaseUrl: string;
  store: Pick<TenantReader, 'getTenant'> & Partial<Pick<TenantReader, 'refreshTenant'>>;
  /** The current time, for tests. Default: now. */
  now?: Date;
}

/**
 * Verifies the request's JWT and returns the installation (and user) it came from; throws a ConnectError
 * (401/403) that `handle()` turns into a response.
 *
 * - `'strict'`: iframe loads, webhooks: the token is bound to this method, path and query (`qsh`).
 * - `'context'`: the app's own API, called by its iframe with `AP.context.getToken()` (`qsh` = `context-qsh`).
 *
 * A disabled tenant is refused (403) and an uninstalled one too (401), after the signature is proven.
 *
 * @example
 * const { tenant, userAccountId } = await authenticate(request, 'context');
 */
export function authenticate(request: Request, mode: VerifyMode, deps: AuthenticateDeps = defaultAuthenticateDeps()): Promise<VerifiedConnectRequest> {
  const { store } = deps;
  return verifyConnectRequest(request, {
    mode,
    appBaseUrl: deps.appBaseUrl,
    getTenant: (clientKey) => store.getTenant(clientKey),
    refreshTenant: store.refreshTenant && ((clientKey) => store.refreshTenant!(clientKey)),
    now: deps.now,
  });
}

/**
 * The Connect door of the app's own API: a context token (`qsh` = `context-qsh`) turned into the verified
 * caller domain code takes: the tenant's site, the token's user (`sub`) and the issue it was minted on.
 *
 * @example return handle(async () => listNotes(await authenticateCaller(request), request, notesApiDeps()));
 */
export async function authenticateCaller(request: Request, deps: AuthenticateDeps = defaultAuthenticateDeps()): Promise<VerifiedCaller> {
  return connectCaller(await authenticate(request, 'context', deps));
}

/**
 * The verified caller of a verified Connect request. Pass `signedQuery` only for a request whose token's qsh
 * covered its query (a `strict` route: an iframe load); then its `lic` parameter counts when the token has
 * no `context.license` (lib/connect/license.ts). A context-token route passes nothing: its query is unsigned.
 */
export function connectCaller(verified: VerifiedConnectRequest, signedQuery?: URLSearchParams): VerifiedCaller {
  return {
    siteId: verified.tenant.siteId,
    accountId: verified.userAccountId,
    boundIssueKey: contextIssueKey(verified.context),
    license: connectLicense(verified.context, signedQuery),
  };
}

/** The app's configuration and tenant store, read when first needed (not at import, so builds need no env). */
export function defaultAuthenticateDeps(): AuthenticateDeps {
  return { appBaseUrl: getConfig().appUrl, store: tenantStore() };
}
