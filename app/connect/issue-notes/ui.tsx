/**
 * The issue panel in the browser: bundled by `npm run ui:build`, loaded by the shell route.ts answers. Its
 * query (`issueKey`, `projectKey`) was covered by the page-load JWT's qsh, which route.ts verified; the API
 * checks the key again against the user's context token.
 */
import '@/app/globals.css';
import { createRoot } from 'react-dom/client';
import { IssueNotes } from '@/app/_components/notes/IssueNotes';
import { connectHost } from '@/lib/ui/connect-host';

const params = new URLSearchParams(window.location.search);
createRoot(document.getElementById('root')!).render(
  <IssueNotes host={connectHost} issueKey={params.get('issueKey') ?? undefined} projectKey={params.get('projectKey') ?? undefined} />,
);
