/**
 * Verifies the page-load JWT of every iframe page (`/connect/...`) before Next serves it.
 *
 * Why here and not in the page: a page cannot answer with HTTP 401 (Next's `unauthorized()` is still
 * experimental in Next 16), and checking here lets the pages themselves be static shells, served from
 * Next's cache at a fraction of a server render's cost. They hold no data: everything they show comes
 * from the app's API with a context token that only the product can hand out.
 *
 * Also checked: the product that frames the page (`xdm_e`, `cp`) is this tenant's own site, because the
 * page loads all.js from there. A verified page may be framed only by that site (CSP frame-ancestors).
 */
import { NextResponse, type NextRequest } from 'next/server';
import { getConfig } from '@/lib/config';
import { pageProductUrl } from '@/lib/connect/page-host';
import { authenticate } from '@/lib/http/authenticate';
import { allowedFrameAncestors, tenantFrameAncestors } from '@/lib/http/frame-ancestors';
import { errorPage } from '@/lib/http/responses';

export const config = { matcher: '/connect/:path*' };

export async function proxy(request: NextRequest): Promise<Response> {
  let tenant;
  try {
    ({ tenant } = await authenticate(request, 'strict'));
    pageProductUrl(request.nextUrl, tenant);
  } catch (err) {
    return errorPage(err, allowedFrameAncestors(getConfig().allowedHosts));
  }
  const response = NextResponse.next();
  response.headers.set('Content-Security-Policy', `frame-ancestors ${tenantFrameAncestors(tenant)}`);
  response.headers.set('Cache-Control', 'private, no-store');
  return response;
}
