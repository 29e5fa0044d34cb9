/**
 * The Forge door's NotesHost, on the real @forge/bridge: every API call is `invokeRemote` to the
 * manifest's `notes-ui` endpoint (the module's `resolver.endpoint`), which Forge turns into an HTTPS call
 * to `<remote baseUrl>/api/forge/...` with a Forge Invocation Token and the user's OAuth token.
 *
 * Why invokeRemote rather than requestRemote: requestRemote is not proxied by Forge and never carries
 * the OAuth tokens, and the sample's remote reads the issue summary and authors' names as the user
 * (x-forge-oauth-user). https://developer.atlassian.com/platform/forge/apis-reference/ui-api-bridge/requestRemote
 *
 * Browser only, and only inside a Forge iframe: importing @forge/bridge elsewhere throws (no __bridge).
 */
import { invokeRemote, showFlag as forgeShowFlag } from '@forge/bridge';
import { apiErrorFrom, type NotesHost } from './notes-host';

/** Where the Forge Remote routes of the app live (app/api/forge). */
export const FORGE_API_ROOT = '/api/forge';

let flagCount = 0;

export const forgeHost: NotesHost = {
  async request<T>(path: string, init: { method?: 'GET' | 'POST' | 'DELETE'; json?: unknown } = {}): Promise<T> {
    const response = await invokeRemote({
      path: `${FORGE_API_ROOT}${path}`,
      method: init.method ?? 'GET',
      headers: init.json === undefined ? undefined : { 'content-type': 'application/json' },
      body: init.json,
    });
    const status = typeof response?.status === 'number' ? response.status : 0;
    if (status === 204) return undefined as T;
    if (status < 200 || status >= 300) throw apiErrorFrom(status, response?.body);
    return response.body as T;
  },
  async showFlag(title, body, type = 'info') {
    // Forge requires an id per flag; it only has to be unique among the flags this page shows.
    forgeShowFlag({ id: `notes-${++flagCount}`, title, description: body, type, isAutoDismiss: true });
  },
};
