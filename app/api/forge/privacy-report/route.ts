import { handle } from '@/lib/http/responses';
import { forgeTriggerDeps, receivePrivacyTrigger } from '@/lib/privacy/forge-trigger';

// The Forge scheduledTrigger `privacy-report` calls this endpoint: see lib/privacy/forge-trigger.ts.
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handle(async () => Response.json(await receivePrivacyTrigger(request, forgeTriggerDeps()), { headers: { 'Cache-Control': 'no-store' } }));
}
