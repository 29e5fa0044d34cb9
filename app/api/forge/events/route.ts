import { forgeEventDeps, receiveForgeEvent } from '@/lib/forge/events';
import { handle } from '@/lib/http/responses';

// Forge `trigger` modules (lifecycle and Jira events) call this endpoint: see lib/forge/events.ts.
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handle(async () => {
    await receiveForgeEvent(request, forgeEventDeps());
    return new Response(null, { status: 204 });
  });
}
