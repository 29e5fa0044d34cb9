/**
 * Calls the app's own API from an iframe page, authenticated with a context token from `AP`.
 * Errors carry the server's machine-readable code.
 */
import { ApiError, apiErrorFrom } from '../ui/notes-host';
import { contextToken } from './index';

export { ApiError };

/** @example const { notes } = await apiFetch<{ notes: Note[] }>('/api/notes?issueKey=NOTE-1'); */
export async function apiFetch<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Authorization: `JWT ${await contextToken()}` };
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => ({}))) as unknown;
  if (!response.ok) throw apiErrorFrom(response.status, body);
  return body as T;
}
