/**
 * The one place that turns errors into HTTP responses. A ConnectError becomes its status with a short
 * JSON body `{ "error": CODE, "message": ... }`; anything else is a bug: it is logged without its
 * stack reaching the client, and the client gets a bare 500.
 */
import { ConnectError } from '@/lib/connect/errors';
import { log } from '@/lib/log';

export function errorResponse(err: unknown): Response {
  if (err instanceof ConnectError) {
    const headers: HeadersInit = err.status === 401 ? { 'WWW-Authenticate': 'JWT' } : {};
    return Response.json({ error: err.code, message: err.message }, { status: err.status, headers: { ...headers, 'Cache-Control': 'no-store' } });
  }
  log.error('unhandled_error', { name: (err as Error)?.name, message: (err as Error)?.message });
  return Response.json({ error: 'INTERNAL', message: 'Internal error' }, { status: 500, headers: { 'Cache-Control': 'no-store' } });
}

/** Runs a handler and maps whatever it throws through `errorResponse`. */
export async function handle(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    return errorResponse(err);
  }
}
