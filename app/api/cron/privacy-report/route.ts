import { handle } from '@/lib/http/responses';
import { assertCronRequest, parseCronSecret } from '@/lib/privacy/cron';
import { privacyRunDeps, runPrivacyReports } from '@/lib/privacy/run';

// Vercel Cron calls this (vercel.json `crons`) with `Authorization: Bearer $CRON_SECRET`: lib/privacy/cron.ts.
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

export function GET(request: Request): Promise<Response> {
  return handle(async () => {
    assertCronRequest(request, parseCronSecret());
    const summary = await runPrivacyReports(privacyRunDeps());
    return Response.json(summary, { headers: { 'Cache-Control': 'no-store' } });
  });
}
