import { RecentNotes } from '../_components/client-only';

/** The general page: the site's most recent notes, loaded in the browser through the context-token API. */
export default function OverviewPage() {
  return (
    <main style={{ padding: '0 16px' }}>
      <h1 style={{ fontSize: 20, lineHeight: '24px', fontWeight: 500 }}>Issue notes</h1>
      <RecentNotes />
    </main>
  );
}
