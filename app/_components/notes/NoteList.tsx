'use client';

import Button from '@atlaskit/button/new';
import type { NoteView as Note } from '@/lib/notes/api';

interface Props {
  notes: Note[];
  /** Display names by accountId, when the product could be asked. */
  authors?: Record<string, string | null>;
  onDelete?: (id: string) => void;
  showIssue?: boolean;
  emptyText: string;
}

export function NoteList({ notes, authors, onDelete, showIssue, emptyText }: Props) {
  if (notes.length === 0) return <p style={{ color: 'var(--text-subtle)' }}>{emptyText}</p>;
  return (
    <ul style={{ listStyle: 'none', margin: 0, padding: 0, display: 'grid', gap: 8 }}>
      {notes.map((note) => (
        <li key={note.id} data-testid="note" style={{ border: '1px solid var(--border)', borderRadius: 3, padding: '8px 12px' }}>
          <p style={{ margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{note.text}</p>
          <div style={{ display: 'flex', alignItems: 'center', gap: 8, marginTop: 4, fontSize: 12, color: 'var(--text-subtle)' }}>
            <span>
              {showIssue ? `${note.issueKey} · ` : ''}
              {authors?.[note.authorAccountId] ?? (note.mine ? 'You' : 'Someone')} · {new Date(note.createdAt).toLocaleString()}
            </span>
            {note.mine && onDelete && (
              <Button appearance="subtle" spacing="compact" onClick={() => onDelete(note.id)}>
                Delete
              </Button>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
