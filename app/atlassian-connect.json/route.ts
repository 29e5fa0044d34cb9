import { getConfig } from '@/lib/config';
import { appKey, renderDescriptor } from '@/lib/connect/descriptor';

// APP_URL is read when the request arrives, not at build time: one build serves any host.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  // The key a Forge environment registered (CONNECT_KEY), so installs from this descriptor match appKey().
  return Response.json({ ...renderDescriptor(getConfig().appUrl), key: appKey() }, {
    headers: { 'Cache-Control': 'no-store' },
  });
}
