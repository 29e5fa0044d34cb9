import { handle } from '@/lib/http/responses';
import { receiveWebhook, webhookDeps } from '@/lib/webhooks/receive';

// Webhooks declared in atlassian-connect.json (modules.webhooks): see lib/webhooks/registry.ts.
export const dynamic = 'force-dynamic';

export function POST(request: Request, { params }: { params: Promise<{ name: string }> }): Promise<Response> {
  return handle(async () => {
    await receiveWebhook((await params).name, request, webhookDeps());
    return new Response(null, { status: 204 });
  });
}
