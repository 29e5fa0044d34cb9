/**
 * Calls the app's own API from an iframe page, authenticated with a context token from `AP`.
 * Errors carry the server's machine-readable code.
 */
import { contextToken } from './index';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

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
  const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!response.ok) throw new ApiError(response.status, body.error ?? 'HTTP_ERROR', body.message ?? `Request failed (${response.status}).`);
  return body as T;
}
