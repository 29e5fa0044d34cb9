'use client';

import Button from '@atlaskit/button/new';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { NotesHost } from '@/lib/ui/notes-host';
import type { NoteView as Note } from '@/lib/notes/api';
import type { IssueDetails } from '@/lib/notes/issue-details';
import { isIssueKey } from '@/lib/notes/issue-key';
import { MAX_NOTE_CHARS } from '@/lib/notes/note-input';
import { NoteList } from './NoteList';

interface Props {
  /** The door the panel runs behind (Connect or Forge): its API and its flags. */
  host: NotesHost;
  /** The issue the product opened the panel on; each door reads it from what its product signed. */
  issueKey: string | undefined;
  projectKey?: string;
}

/**
 * The issue panel, for both doors. The server checks the issue key again against the caller's verified
 * context (the context token on Connect, the FIT's extension on Forge).
 */
export function IssueNotes({ host, issueKey, projectKey }: Props) {
  if (!isIssueKey(issueKey)) return <p>This panel needs an issue: open it from an issue in Jira.</p>;
  return <IssueNotesFor host={host} issueKey={issueKey} projectKey={projectKey} />;
}

/** The issue's notes, a form to add one, and delete for the user's own. */
function IssueNotesFor({ host, issueKey, projectKey }: { host: NotesHost; issueKey: string; projectKey?: string }) {
  const [notes, setNotes] = useState<Note[] | null>(null);
  // Why this site may only read (LICENSE_REQUIRED and an inactive license), as the server says it.
  const [readOnly, setReadOnly] = useState<{ code: string; message: string } | null>(null);
  const [details, setDetails] = useState<IssueDetails | null>(null);
  const authors = Object.fromEntries((details?.users ?? []).map((u) => [u.accountId, u.displayName]));
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const { notes, readOnly } = await host.request<{ notes: Note[]; readOnly?: { code: string; message: string } }>(`/notes?issueKey=${encodeURIComponent(issueKey)}`);
      setNotes(notes);
      setReadOnly(readOnly ?? null);
      setError(null);
      const authors = [...new Set(notes.map((n) => n.authorAccountId))].slice(0, 20);
      const query = new URLSearchParams({ issueKey, accountIds: authors.join(',') });
      // The product round trip is decoration: the notes show even if it fails.
      host.request<IssueDetails>(`/issue-details?${query}`).then(setDetails, () => setDetails(null));
    } catch (err) {
      setError((err as Error).message);
    }
  }, [host, issueKey]);

  useEffect(() => {
    void load();
  }, [load]);

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    setSaving(true);
    try {
      await host.request('/notes', { method: 'POST', json: { issueKey, projectKey, text } });
      setText('');
      await load();
      void host.showFlag('Note added', `Your note is on ${issueKey}.`, 'success');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  async function remove(id: string) {
    try {
      await host.request(`/notes/${encodeURIComponent(id)}`, { method: 'DELETE' });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <section aria-label={`Notes on ${issueKey}`}>
      {details?.issue?.summary && (
        <p data-testid="issue-summary" style={{ margin: '0 0 8px', color: 'var(--text-subtle)' }}>
          {issueKey}: {details.issue.summary}
        </p>
      )}
      {error && (
        <p role="alert" style={{ color: 'var(--ds-text-danger, #ae2e24)' }}>
          {error}
        </p>
      )}
      {notes === null && !error ? <p>Loading notes…</p> : null}
      {readOnly && (
        <p role="status" data-testid="read-only" data-code={readOnly.code} style={{ padding: 8, borderRadius: 3, background: 'var(--ds-background-warning, #fff7d6)' }}>
          {readOnly.message}
        </p>
      )}
      {notes && <NoteList notes={notes} authors={authors} onDelete={readOnly ? undefined : remove} emptyText="No notes on this issue yet." />}
      {!readOnly && <form onSubmit={add} style={{ display: 'grid', gap: 8, marginTop: 12 }}>
        <label htmlFor="note-text" style={{ fontWeight: 600, fontSize: 12, color: 'var(--text-subtle)' }}>
          Add a note
        </label>
        <textarea
          id="note-text"
          value={text}
          maxLength={MAX_NOTE_CHARS}
          rows={3}
          onChange={(e) => setText(e.target.value)}
          style={{ font: 'inherit', padding: 8, borderRadius: 3, border: '1px solid var(--ds-border-input, #8590a2)', resize: 'vertical' }}
        />
        <div>
          <Button type="submit" appearance="primary" isLoading={saving} isDisabled={!text.trim()}>
            Add note
          </Button>
        </div>
      </form>}
    </section>
  );
}
