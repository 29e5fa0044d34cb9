import { verifyForgeRequest } from '@/lib/forge/invocation-token';
import { forgeRemoteOptions } from '@/lib/forge/remote';
import { assertUiInvocation } from '@/lib/forge/route-rules';
import { whoami } from '@/lib/forge/whoami';
import { handle } from '@/lib/http/responses';

// A Forge Remote endpoint: Forge calls it with a Forge Invocation Token (invokeRemote from the app's UI modules).
// https://developer.atlassian.com/platform/forge/remote/essentials/
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  return handle(async () => {
    const { invocation } = await verifyForgeRequest(request, forgeRemoteOptions());
    assertUiInvocation(invocation);
    return Response.json(whoami(invocation), { headers: { 'Cache-Control': 'no-store' } });
  });
}
