/**
 * Calling Jira from the remote with the tokens Forge sent along with an invocation
 * (https://developer.atlassian.com/platform/forge/remote/calling-product-apis/):
 *
 *   - as the app: `x-forge-oauth-system` (sent when the remote's manifest entry sets `auth.appSystemToken`);
 *   - as the user: `x-forge-oauth-user` (sent when it sets `auth.appUserToken`), for the invoking user only.
 *
 * Requests go to `<app.apiBaseUrl>/rest/api/3/...` with `Authorization: Bearer <token>`. The base URL comes
 * from the verified FIT and is pinned: https://api.atlassian.com (the origin Atlassian documents), or plain http
 * on this machine only where the FITs themselves are signed on this machine (FORGE_JWKS_URL on a loopback host:
 * the local simulator, also against a production build) or outside production. A loopback signer is a local
 * process that already decides every invocation, so trusting the API URL it names gives it nothing more. Paths stay under the base's
 * path (`/ex/jira/<cloudId>`), redirects are followed only within it (lib/connect/product-client.ts, the same
 * loop as the Connect host client), and the tokens live in this client, made per request: never logged, never
 * cached beyond the request, never sent to another origin.
 */
import { getConfig } from '../config';
import { isLoopbackHost } from '../connect/hosts';
import { getForgeConfig } from './config';
import { productClient, type ProductClient, type ProductFetchOptions } from '../connect/product-client';
import { ProductApiError } from '../connect/product-error';
import { productBase, type ProductBase } from '../connect/product-url';
import type { ForgeRemoteRequest } from './invocation-token';

/** Where Forge's product API calls go (`app.apiBaseUrl` = `https://api.atlassian.com/ex/jira/<cloudId>`). */
export const FORGE_API_ORIGIN = 'https://api.atlassian.com';

export interface ForgeProductClientOptions extends ProductFetchOptions {
  /**
   * Whether an `app.apiBaseUrl` of http on a loopback host (the simulator) is accepted besides
   * {@link FORGE_API_ORIGIN}. Default: outside production, or when FORGE_JWKS_URL is on a loopback host.
   */
  allowLocalApi?: boolean;
}

/** Jira as the app or as the invoking user, like lib/connect/host-client.ts's HostClient. */
export interface ForgeProductClient {
  /** With the app system token. Throws APP_TOKEN_UNAVAILABLE when Forge sent none. */
  asApp(): ProductClient;
  /** With the user token, for the FIT's `principal` only; IMPERSONATION_UNAVAILABLE otherwise. */
  asUser(accountId: string): ProductClient;
}

/**
 * A client for one verified Forge request. Cheap: make one per request.
 *
 * @example const issue = await forgeProductClient(forge).asApp().getJson(`/rest/api/3/issue/${key}?fields=summary`);
 */
export function forgeProductClient(forge: ForgeRemoteRequest, options: ForgeProductClientOptions = {}): ForgeProductClient {
  const base = forgeApiBase(forge.invocation.apiBaseUrl, options.allowLocalApi ?? localApiAllowed());
  const bearer = (token: string) => ({ authorization: async () => `Bearer ${token}` });
  return {
    asApp() {
      if (!forge.appSystemToken) throw new ProductApiError('APP_TOKEN_UNAVAILABLE', 'Forge sent no app system token with this invocation.');
      return productClient(base, options, bearer(forge.appSystemToken));
    },
    asUser(accountId) {
      if (!forge.appUserToken || accountId !== forge.invocation.accountId) {
        throw new ProductApiError('IMPERSONATION_UNAVAILABLE', 'Forge sent no user token for this user with this invocation.');
      }
      return productClient(base, options, bearer(forge.appUserToken));
    },
  };
}

function localApiAllowed(): boolean {
  return !getConfig().production || isLoopbackHost(new URL(getForgeConfig().jwksUrl).hostname);
}

/**
 * The pinned base of Forge product calls. Throws URL_NOT_ALLOWED for anything but https://api.atlassian.com
 * (and, with `allowLocalApi`, http on a loopback host).
 *
 * @example forgeApiBase('https://api.atlassian.com/ex/jira/d0d52620-…', false) // { origin: 'https://api.atlassian.com', path: '/ex/jira/d0d52620-…' }
 */
export function forgeApiBase(apiBaseUrl: string | undefined, allowLocalApi: boolean): ProductBase {
  if (!apiBaseUrl) throw new ProductApiError('URL_NOT_ALLOWED', 'The Forge invocation token has no app.apiBaseUrl.');
  const base = productBase(apiBaseUrl);
  const url = new URL(base.origin);
  const simulator = allowLocalApi && url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (base.origin !== FORGE_API_ORIGIN && !simulator) {
    throw new ProductApiError('URL_NOT_ALLOWED', `Forge product calls go to ${FORGE_API_ORIGIN} only.`);
  }
  return base;
}

/**
 * Atlassian's platform APIs at the root of the API (`/app/report-accounts/`, not under
 * `/ex/jira/<cloudId>`), as the app, with the invocation's system token. Same pinning as
 * {@link forgeProductClient}: the origin of the FIT's `app.apiBaseUrl` must be https://api.atlassian.com
 * (or the local simulator), and the token goes nowhere else.
 *
 * @example await forgePlatformClient(forge).fetch('/app/report-accounts/', { method: 'POST', body })
 */
export function forgePlatformClient(forge: ForgeRemoteRequest, options: ForgeProductClientOptions = {}): ProductClient {
  const base = forgeApiBase(forge.invocation.apiBaseUrl, options.allowLocalApi ?? localApiAllowed());
  // The API's root is apiBaseUrl without its product part: https://api.atlassian.com for
  // https://api.atlassian.com/ex/jira/<cloudId> (the simulator's stand-in has a path prefix).
  const root = /^(.*)\/ex\/[a-z]+\/[^/]+$/i.exec(base.path)?.[1];
  if (root === undefined) throw new ProductApiError('URL_NOT_ALLOWED', 'The Forge invocation token\'s app.apiBaseUrl does not end in /ex/<product>/<cloudId>.');
  if (!forge.appSystemToken) throw new ProductApiError('APP_TOKEN_UNAVAILABLE', 'Forge sent no app system token with this invocation.');
  const token = forge.appSystemToken;
  return productClient({ origin: base.origin, path: root }, options, { authorization: async () => `Bearer ${token}` });
}
