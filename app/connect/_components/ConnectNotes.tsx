'use client';

/**
 * The shared notes UI (app/_components/notes) behind the Connect door: AP context tokens and /api/...
 */
import { IssueNotes } from '@/app/_components/notes/IssueNotes';
import { RecentNotes } from '@/app/_components/notes/RecentNotes';
import { connectHost } from '@/lib/ui/connect-host';

/**
 * The issue panel. Its query (`issueKey`, `projectKey`) was covered by the page-load JWT's qsh, which
 * proxy.ts verified; the API checks the key again against the user's context token.
 */
export function ConnectIssueNotes() {
  const params = new URLSearchParams(window.location.search);
  return <IssueNotes host={connectHost} issueKey={params.get('issueKey') ?? undefined} projectKey={params.get('projectKey') ?? undefined} />;
}

export function ConnectRecentNotes() {
  return <RecentNotes host={connectHost} />;
}
