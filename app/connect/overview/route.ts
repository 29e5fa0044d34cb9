import { iframePage } from '@/lib/http/iframe-page';

// The general page's iframe page: its shell once the page-load JWT is verified (lib/http/iframe-page.ts); the
// browser side is ui.tsx beside this file.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return iframePage(request, { page: 'overview', title: 'Issue notes' });
}
