/**
 * Verifies the page-load JWT of every iframe page (`/connect/...`) before Next renders anything.
 *
 * Why here and not in the page: a page cannot answer with HTTP 401 (Next's `unauthorized()` is still
 * experimental in Next 16), and a refused request must not run any of the page's code. Proxy runs on
 * Node, so it uses the same verifier and tenant store as the API routes.
 *
 * The verified identity reaches the page as `x-connect-*` request headers. Any such header sent by a
 * client is deleted first, so a page can trust them: they exist only when this check passed.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { getConfig } from '@/lib/config';
import { allowedFrameAncestors, tenantFrameAncestors } from '@/lib/http/frame-ancestors';
import { authenticate } from '@/lib/http/authenticate';
import { errorPage } from '@/lib/http/responses';
import { CONNECT_HEADERS } from '@/lib/http/connect-headers';

export const config = { matcher: '/connect/:path*' };

export async function proxy(request: NextRequest): Promise<Response> {
  const headers = new Headers(request.headers);
  for (const name of [...headers.keys()]) if (name.startsWith('x-connect-')) headers.delete(name);

  let verified;
  try {
    verified = await authenticate(request, 'strict');
  } catch (err) {
    return errorPage(err, allowedFrameAncestors(getConfig().allowedHosts));
  }
  const { tenant, userAccountId } = verified;
  headers.set(CONNECT_HEADERS.clientKey, tenant.clientKey);
  headers.set(CONNECT_HEADERS.baseUrl, tenant.baseUrl);
  if (userAccountId) headers.set(CONNECT_HEADERS.accountId, userAccountId);

  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', `frame-ancestors ${tenantFrameAncestors(tenant)}`);
  response.headers.set('Cache-Control', 'private, no-store');
  return response;
}
