/**
 * What the sample's notes UI needs from the product it runs in: one small adapter per door, so the React
 * components (app/_components/notes) are one copy for both.
 *
 *   Connect  lib/ui/connect-host.ts  AP (all.js) context tokens + fetch to /api/...
 *   Forge    lib/ui/forge-host.ts    @forge/bridge invokeRemote to /api/forge/... (Forge signs a FIT per call)
 *
 * Browser only. Paths are relative to the app's API root (`/notes`, `/issue-details`): each adapter knows
 * where its door's API lives.
 */

export type FlagType = 'info' | 'success' | 'warning' | 'error';

export interface NotesHost {
  /** Calls the app's API; rejects with ApiError carrying the server's machine-readable code. */
  request<T>(path: string, init?: { method?: 'GET' | 'POST' | 'DELETE'; json?: unknown }): Promise<T>;
  /** A flag (toast) in the product. */
  showFlag(title: string, body: string, type?: FlagType): Promise<void>;
}

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

/** The error an API answer carries (`{ error, message }`, as lib/http/responses writes it). */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  return new ApiError(
    status,
    typeof b.error === 'string' ? b.error : 'HTTP_ERROR',
    typeof b.message === 'string' ? b.message : `Request failed (${status}).`,
  );
}
