import { getConfig } from '@/lib/config';
import { appKey } from '@/lib/connect/descriptor';
import { ConnectError } from '@/lib/connect/errors';
import { installKeyResolver } from '@/lib/connect/install-keys';
import { handleLifecycle } from '@/lib/connect/lifecycle';
import { LIFECYCLE_EVENTS, type LifecycleEvent } from '@/lib/connect/lifecycle-payload';
import { handle } from '@/lib/http/responses';
import { siteStore } from '@/lib/sites/store';
import { tenantStore } from '@/lib/tenants/store';

export async function POST(request: Request, { params }: { params: Promise<{ event: string }> }): Promise<Response> {
  return handle(async () => {
    const { event } = await params;
    if (!LIFECYCLE_EVENTS.includes(event as LifecycleEvent)) throw new ConnectError('NOT_FOUND', 'No such lifecycle event.');
    const config = getConfig();
    await handleLifecycle(event as LifecycleEvent, request, {
      store: tenantStore(),
      appBaseUrl: config.appUrl,
      appKey: appKey(),
      allowedHosts: config.allowedHosts,
      resolveInstallKey: installKeyResolver(),
      sites: siteStore(),
    });
    return new Response(null, { status: 204 });
  });
}
