import { getConfig } from '@/lib/config';
import { renderDescriptor } from '@/lib/connect/descriptor';

// APP_URL is read when the request arrives, not at build time: one build serves any host.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json(renderDescriptor(getConfig().appUrl), {
    headers: { 'Cache-Control': 'no-store' },
  });
}
