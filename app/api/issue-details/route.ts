import { handle } from '@/lib/http/responses';
import { issueDetails, issueDetailsDeps } from '@/lib/notes/issue-details';

// Issue summary (as the app) and authors' names (as the user) for the notes UI: see lib/notes/issue-details.ts.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return handle(() => issueDetails(request, issueDetailsDeps()));
}
