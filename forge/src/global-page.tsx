/** The `jira:globalPage` Custom UI: the site's recent notes. */
import '../../app/globals.css';
import { RecentNotes } from '../../app/_components/notes/RecentNotes';
import { forgeHost } from '../../lib/ui/forge-host';
import { mount } from './mount';

mount(() => (
  <main style={{ padding: '0 16px' }}>
    <h1 style={{ fontSize: 20, lineHeight: '24px', fontWeight: 500 }}>Issue notes</h1>
    <RecentNotes host={forgeHost} />
  </main>
));
