import { verifyForgeRequest } from '@/lib/forge/invocation-token';
import { forgeRemoteOptions } from '@/lib/forge/remote';
import { whoami } from '@/lib/forge/whoami';
import { handle } from '@/lib/http/responses';

// A Forge Remote endpoint: Forge calls it with a Forge Invocation Token (invokeRemote from a Forge module).
// https://developer.atlassian.com/platform/forge/remote/essentials/
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  return handle(async () => {
    const { invocation } = await verifyForgeRequest(request, forgeRemoteOptions());
    return Response.json(whoami(invocation), { headers: { 'Cache-Control': 'no-store' } });
  });
}
