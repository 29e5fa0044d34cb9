import { iframePage } from '@/lib/http/iframe-page';

// The issue panel's iframe page: its shell once the page-load JWT is verified (lib/http/iframe-page.ts); the
// browser side is ui.tsx beside this file.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return iframePage(request, { page: 'issue-notes', title: 'Issue notes' });
}
