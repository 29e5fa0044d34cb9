import { forgeCaller } from '@/lib/forge/caller';
import { forgeProductClient } from '@/lib/forge/product-client';
import { handle } from '@/lib/http/responses';
import { issueDetailsFor, PRODUCT_TIMEOUT_MS } from '@/lib/notes/issue-details';

// Issue summary and authors' names for the Forge Custom UI, fetched with the tokens Forge sent: see
// lib/notes/issue-details.ts (one code path with /api/issue-details) and lib/forge/product-client.ts.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return handle(async () => {
    const { caller, forge } = await forgeCaller(request);
    return issueDetailsFor(caller, request, forgeProductClient(forge, { timeoutMs: PRODUCT_TIMEOUT_MS }));
  });
}
