import { IssueNotes } from '../_components/IssueNotes';

const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-[1-9]\d*$/;

/**
 * The issue panel. Its query (`issueKey`, `projectKey`) is covered by the page-load JWT's qsh, which
 * proxy.ts verified, so the values are the product's. The notes themselves load in the browser through
 * the context-token API: the server part stays small and fast.
 */
export default async function IssueNotesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { issueKey, projectKey } = await searchParams;
  if (typeof issueKey !== 'string' || !ISSUE_KEY.test(issueKey)) {
    return <p>This panel needs an issue: open it from an issue in Jira.</p>;
  }
  return <IssueNotes issueKey={issueKey} projectKey={typeof projectKey === 'string' ? projectKey : undefined} />;
}
