import { withDeadline } from '@/lib/deadline';
import { FORGE_EVENT_DEADLINE_MS } from '@/lib/forge/events';
import { handle } from '@/lib/http/responses';
import { forgeTriggerDeps, receivePrivacyTrigger } from '@/lib/privacy/forge-trigger';

// The Forge scheduledTrigger `privacy-report` calls this endpoint: see lib/privacy/forge-trigger.ts.
// Decided within FORGE_EVENT_DEADLINE_MS, or 503 DEADLINE_EXCEEDED, so Forge (5 s) retries instead of timing out.
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handle(() =>
    withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) =>
      Response.json(await receivePrivacyTrigger(request, forgeTriggerDeps(deadline)), { headers: { 'Cache-Control': 'no-store' } }),
    ),
  );
}
