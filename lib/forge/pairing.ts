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
import type { Deadline } from '../deadline';
import { readJsonBody } from '../http/body';
import { log } from '../log';
import type { ConfirmPairing } from '../sites/store';
import type { ForgeRemoteRequest } from './invocation-token';
import { forgeProductClient, type ForgeProductClientOptions } from './product-client';
import { isBackendInvocation } from './route-rules';

export const CONNECT_CLIENT_KEY_PROPERTY = 'connect_client_key_019cdff3-8bfb-71fe-9628-875b700aebb8';

/**
 * The most the pairing read may take, body included. It runs inside a Forge invocation, before the event or UI
 * call it belongs to: a slow Atlassian API must cost that invocation little, and on the event route it must
 * never use up Forge's deadline (then every event of an installation waiting for its join would answer 503
 * until Forge gave up and dropped it). A read that does not finish in time is "not confirmable now": no join,
 * the invocation goes on, and a later one asks again.
 */
export const PAIRING_TIMEOUT_MS = 1_500;

/** The property is `{ key, value, self }`, well under 1 KiB; an answer larger than this names no tenant. */
export const PAIRING_BODY_LIMIT = 16 * 1024;

export interface ConnectPairingOptions extends ForgeProductClientOptions {
  /** The Connect app key the property is read under. Default: the descriptor's. */
  connectKey?: string;
  /**
   * The invocation's deadline (the Forge event route, lib/deadline.ts): the read stops with it, and takes at
   * most half of the time left, so the invocation's own work keeps the other half.
   */
  deadline?: Deadline;
}

/**
 * The question "which Connect clientKey is this Forge installation's?" for one verified invocation, or
 * undefined when Forge sent no system token with it (then it cannot be asked, and no join is made). The read is
 * bounded in time ({@link PAIRING_TIMEOUT_MS}, and half of the deadline's remaining time) and size
 * ({@link PAIRING_BODY_LIMIT}); anything but an answer within both is undefined (ask again later).
 *
 * @example await siteStore().resolveForgeInstallation(claims, { confirmPairing: connectPairing(forge, { deadline }) });
 */
export function connectPairing(forge: ForgeRemoteRequest, options: ConnectPairingOptions = {}): ConfirmPairing | undefined {
  if (!forge.appSystemToken) return undefined;
  return async () => {
    const { connectKey = appKey(), deadline, ...clientOptions } = options;
    const timeoutMs = Math.floor(Math.min(clientOptions.timeoutMs ?? PAIRING_TIMEOUT_MS, deadline ? deadline.remainingMs() / 2 : Infinity));
    if (timeoutMs < 1) return undefined;
    // Confluence serves the same resource under /wiki (its apiBaseUrl is /ex/confluence/<cloudId>).
    const prefix = /\/ex\/confluence\//.test(forge.invocation.apiBaseUrl ?? '') ? '/wiki' : '';
    const path = `${prefix}/rest/atlassian-connect/1/addons/${encodeURIComponent(connectKey)}/properties/${CONNECT_CLIENT_KEY_PROPERTY}`;
    // One timer for the whole read, headers and body: the product client's own timeout stops at the headers.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(new DOMException('The pairing read took too long.', 'TimeoutError')), timeoutMs);
    const signal = deadline ? AbortSignal.any([stop.signal, deadline.signal]) : stop.signal;
    try {
      const response = await forgeProductClient(forge, { ...clientOptions, timeoutMs }).asApp().fetch(path, { headers: { accept: 'application/json' }, signal });
      // 404: no Connect installation for this Forge installation (or no app.connect.key), when the token is
      // Forge's. A UI module's request may come straight from the browser (requestRemote is not proxied by Forge;
      // its FIT is in the page), with an `x-forge-oauth-system` of the user's choosing: a 404 then proves nothing,
      // and must not be remembered as Atlassian's answer (lib/sites/store.ts keeps it 10 minutes) to hold a
      // real join back. A positive answer needs no such care: whatever the token, the property Atlassian serves
      // under the FIT's signed cloudId and this app's key is the real clientKey.
      if (response.status === 404) {
        await response.body?.cancel().catch(() => undefined);
        return isBackendInvocation(forge.invocation) ? null : undefined;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        log.warn('connect_pairing_unavailable', { code: 'PRODUCT_ERROR', status: response.status });
        return undefined;
      }
      const property = (await readJsonBody(response, PAIRING_BODY_LIMIT)) as { value?: unknown } | null;
      return clientKeyOf(property?.value);
    } catch (err) {
      // No answer we can use (timeout, connection, refused redirect, too large, not JSON): not now, maybe on
      // the next invocation. Never a join.
      log.warn('connect_pairing_unavailable', { code: (err as { code?: unknown })?.code ?? (err as { name?: unknown })?.name ?? null, status: (err as { status?: unknown })?.status ?? null });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
}

function clientKeyOf(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  const nested = typeof value === 'object' && value !== null ? (value as { clientKey?: unknown }).clientKey : undefined;
  return typeof nested === 'string' && nested ? nested : null;
}
