import { withDeadline } from '@/lib/deadline';
import { FORGE_EVENT_DEADLINE_MS, forgeEventDeps, receiveForgeUninstall } from '@/lib/forge/events';
import { handle } from '@/lib/http/responses';

// The Forge `preUninstall` module calls this endpoint: see lib/forge/events.ts.
// Decided within FORGE_EVENT_DEADLINE_MS, or 503 DEADLINE_EXCEEDED, so Forge (5 s) retries instead of timing out.
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handle(() =>
    withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) => {
      await receiveForgeUninstall(request, forgeEventDeps(deadline));
      return new Response(null, { status: 204 });
    }),
  );
}
