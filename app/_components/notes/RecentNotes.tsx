'use client';

import { useEffect, useState } from 'react';
import { NoteList } from './NoteList';
import type { NoteView as Note } from '@/lib/notes/api';
import type { NotesHost } from '@/lib/ui/notes-host';

/** The site's most recent notes, newest first. */
export function RecentNotes({ host }: { host: NotesHost }) {
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    host.request<{ notes: Note[] }>('/notes').then(
      ({ notes }) => setNotes(notes),
      (err: Error) => setError(err.message),
    );
  }, [host]);

  if (error) return <p role="alert">{error}</p>;
  if (!notes) return <p>Loading notes…</p>;
  return <NoteList notes={notes} showIssue emptyText="No notes on this site yet. Add one from an issue’s Issue notes panel." />;
}
