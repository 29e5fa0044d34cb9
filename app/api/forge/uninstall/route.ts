import { forgeEventDeps, receiveForgeUninstall } from '@/lib/forge/events';
import { handle } from '@/lib/http/responses';

// The Forge `preUninstall` module calls this endpoint: see lib/forge/events.ts.
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handle(async () => {
    await receiveForgeUninstall(request, forgeEventDeps());
    return new Response(null, { status: 204 });
  });
}
