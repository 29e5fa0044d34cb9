import { IssueNotes } from '../_components/client-only';

/**
 * The issue panel: a static shell (proxy.ts verified the page load); the notes load in the browser
 * through the context-token API.
 */
export default function IssueNotesPage() {
  return <IssueNotes />;
}
