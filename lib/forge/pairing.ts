/**
 * Which Connect installation a Forge installation belongs to, as Atlassian says it: the reserved app property
 * `connect_client_key_019cdff3-8bfb-71fe-9628-875b700aebb8`, "a synthetic, read-only property containing the
 * Connect clientKey for the requested tenant", readable by a Forge app that declares `app.connect.key`, through
 * Jira's "Get app property" (GET /rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}, answering
 * `{ key, value, self }`). https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-app-properties/
 *
 * It is asked as the app (the system token Forge sent with this very invocation), so the answer is about the
 * installation that invoked us, signed by nobody but fetched from Atlassian over TLS: unlike the Connect
 * `installed` body, which Atlassian does not sign, it cannot be chosen by whoever holds an install token. The
 * site store joins a Forge installation's site to a Connect tenant's only on this answer (lib/sites/store.ts).
 *
 * Atlassian documents the property's `value` as the clientKey without an example; a string is taken, and an
 * object with a string `clientKey` too. Anything else names no tenant.
 */
import { appKey } from '../connect/descriptor';
import { ProductApiError } from '../connect/product-error';
import { log } from '../log';
import type { ConfirmPairing } from '../sites/store';
import type { ForgeRemoteRequest } from './invocation-token';
import { forgeProductClient, type ForgeProductClientOptions } from './product-client';

export const CONNECT_CLIENT_KEY_PROPERTY = 'connect_client_key_019cdff3-8bfb-71fe-9628-875b700aebb8';

/**
 * The question "which Connect clientKey is this Forge installation's?" for one verified invocation, or
 * undefined when Forge sent no system token with it (then it cannot be asked, and no join is made).
 *
 * @example await siteStore().resolveForgeInstallation(claims, { confirmPairing: connectPairing(forge) });
 */
export function connectPairing(forge: ForgeRemoteRequest, options: ForgeProductClientOptions & { connectKey?: string } = {}): ConfirmPairing | undefined {
  if (!forge.appSystemToken) return undefined;
  return async () => {
    const connectKey = options.connectKey ?? appKey();
    // Confluence serves the same resource under /wiki (its apiBaseUrl is /ex/confluence/<cloudId>).
    const prefix = /\/ex\/confluence\//.test(forge.invocation.apiBaseUrl ?? '') ? '/wiki' : '';
    const path = `${prefix}/rest/atlassian-connect/1/addons/${encodeURIComponent(connectKey)}/properties/${CONNECT_CLIENT_KEY_PROPERTY}`;
    try {
      const property = await forgeProductClient(forge, options).asApp().getJson<{ value?: unknown }>(path);
      return clientKeyOf(property?.value);
    } catch (err) {
      // 404: no Connect installation for this Forge installation (or no app.connect.key). Anything else is
      // an answer we did not get: not now, maybe on the next invocation.
      if (err instanceof ProductApiError && err.status === 404) return null;
      log.warn('connect_pairing_unavailable', { code: (err as { code?: unknown }).code, status: (err as { status?: unknown }).status ?? null });
      return undefined;
    }
  };
}

function clientKeyOf(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  const nested = typeof value === 'object' && value !== null ? (value as { clientKey?: unknown }).clientKey : undefined;
  return typeof nested === 'string' && nested ? nested : null;
}
