/**
 * The general page in the browser: the site's most recent notes, through the context-token API. Bundled by
 * `npm run ui:build`, loaded by the shell route.ts answers.
 */
import '@/app/globals.css';
import { createRoot } from 'react-dom/client';
import { RecentNotes } from '@/app/_components/notes/RecentNotes';
import { connectHost } from '@/lib/ui/connect-host';

createRoot(document.getElementById('root')!).render(
  <main style={{ padding: '0 16px' }}>
    <h1 style={{ fontSize: 20, lineHeight: '24px', fontWeight: 500 }}>Issue notes</h1>
    <RecentNotes host={connectHost} />
  </main>,
);
