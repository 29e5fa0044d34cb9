/**
 * Calling the product (Jira, Confluence) from the app, as the app or as a user.
 *
 * As the app, every request carries a fresh HS256 JWT signed with the tenant's shared secret, bound to
 * that one request by its `qsh`: https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/
 * As a user, it carries an OAuth access token from the JWT bearer grant (see ./user-token).
 *
 * Either way a credential is only ever sent to the tenant's own origin and base path: ./product-client.ts
 * (shared with the Forge product client) resolves paths under `baseUrl`, refuses absolute URLs elsewhere, and
 * follows redirects by hand, only within the tenant, re-signed for the new URL.
 */
import { SignJWT } from 'jose';
import { getConfig } from '../config';
import { appKey as descriptorAppKey, descriptorTemplate } from './descriptor';
import { productClient, type ProductClient, type ProductFetchOptions } from './product-client';
import { productBase } from './product-url';
import { computeQsh } from './qsh';
import {
  assertCanActAsUser,
  defaultUserTokenCache,
  forgetUserAccessToken,
  userAccessToken,
  type UserTokenCache,
  type UserTokenOptions,
} from './user-token';
import type { Tenant } from '../tenants/types';

/** What the client needs from a tenant. */
export type HostClientTenant = Pick<Tenant, 'clientKey' | 'baseUrl' | 'sharedSecret' | 'oauthClientId'>;

/**
 * Options of {@link hostClient}; every one has a working default, most exist for tests.
 *
 * @example hostClient(tenant, { timeoutMs: 5000 })
 */
export interface HostClientOptions extends ProductFetchOptions {
  /** `iss` of app tokens. Default: the `key` of atlassian-connect.json. */
  appKey?: string;
  /** Lifetime of app tokens. Default 180 s: long enough for clock skew, short enough to be useless if logged. */
  tokenLifetimeSeconds?: number;
  /** The authorization server for `asUser`. Default: CONNECT_OAUTH_URL (`getConfig().oauthUrl`). */
  oauthUrl?: string;
  /** Scopes requested for user tokens. Default: the `scopes` of atlassian-connect.json. */
  scopes?: string[];
  /** Where user tokens are cached. Default: {@link defaultUserTokenCache}. */
  userTokenCache?: UserTokenCache;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
}

export type { ProductClient } from './product-client';

/** One tenant's product, with a choice of identity. Create it with {@link hostClient}. */
export interface HostClient {
  /**
   * Requests signed as the app (the app user's permissions, limited by the descriptor's scopes).
   *
   * @example const me = await hostClient(tenant).asApp().getJson('/rest/api/3/myself')
   */
  asApp(): ProductClient;
  /**
   * Requests as the user with this Atlassian account ID (needs ACT_AS_USER and the tenant's `oauthClientId`;
   * throws IMPERSONATION_UNAVAILABLE otherwise). Access tokens are cached until shortly before they expire.
   *
   * @example await hostClient(tenant).asUser(context.accountId).postJson(`/rest/api/3/issue/${key}/comment`, { body })
   */
  asUser(accountId: string): ProductClient;
}

const DEFAULT_TOKEN_LIFETIME_SECONDS = 180;

/**
 * A client for one tenant. Cheap to create: make one per request with the tenant the request is about.
 *
 * @example
 * const client = hostClient(tenant);
 * const issue = await client.asApp().getJson(`/rest/api/3/issue/${key}?fields=summary`);
 * await client.asUser(accountId).postJson(`/rest/api/3/issue/${key}/comment`, { body });
 */
export function hostClient(tenant: HostClientTenant, options: HostClientOptions = {}): HostClient {
  const base = productBase(tenant.baseUrl);
  const now = options.now ?? Date.now;

  return {
    asApp() {
      const iss = options.appKey ?? descriptorAppKey();
      const secret = new TextEncoder().encode(tenant.sharedSecret);
      const lifetime = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
      return productClient(base, options, {
        async authorization(method, url) {
          const iat = Math.floor(now() / 1000);
          // qsh against the tenant's baseUrl: its context path (`/wiki`) is not part of the canonical path.
          const token = await new SignJWT({ qsh: computeQsh({ method, url, baseUrl: tenant.baseUrl }) })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setIssuer(iss)
            .setIssuedAt(iat)
            .setExpirationTime(iat + lifetime)
            .sign(secret);
          return `JWT ${token}`;
        },
      });
    },

    asUser(accountId) {
      const tokenOptions: UserTokenOptions = {
        oauthUrl: options.oauthUrl ?? getConfig().oauthUrl,
        scopes: options.scopes ?? descriptorTemplate().scopes ?? [],
        cache: options.userTokenCache ?? defaultUserTokenCache,
        timeoutMs: options.timeoutMs,
        now,
        fetch: options.fetch,
      };
      assertCanActAsUser(tenant, accountId, tokenOptions.scopes);
      return productClient(base, options, {
        async authorization() {
          return `Bearer ${await userAccessToken(tenant, accountId, tokenOptions)}`;
        },
        refused(authorization) {
          forgetUserAccessToken(tenant, accountId, tokenOptions, authorization.slice('Bearer '.length));
        },
      });
    },
  };
}

