'use client';

import Button from '@atlaskit/button/new';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { apiFetch } from '@/lib/ap/api';
import { showFlag } from '@/lib/ap';
import type { NoteView as Note } from '@/lib/notes/api';
import type { IssueDetails } from '@/lib/notes/issue-details';
import { isIssueKey } from '@/lib/notes/issue-key';
import { MAX_NOTE_CHARS } from '@/lib/notes/note-input';
import { NoteList } from './NoteList';


/**
 * The issue panel. Its query (`issueKey`, `projectKey`) was covered by the page-load JWT's qsh, which
 * proxy.ts verified; the API checks the key again against the user's context token.
 */
export function IssueNotes() {
  const params = new URLSearchParams(window.location.search);
  const issueKey = params.get('issueKey') ?? '';
  if (!isIssueKey(issueKey)) return <p>This panel needs an issue: open it from an issue in Jira.</p>;
  return <IssueNotesFor issueKey={issueKey} projectKey={params.get('projectKey') ?? undefined} />;
}

/** The issue's notes, a form to add one, and delete for the user's own. */
function IssueNotesFor({ issueKey, projectKey }: { issueKey: string; projectKey?: string }) {
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [details, setDetails] = useState<IssueDetails | null>(null);
  const authors = Object.fromEntries((details?.users ?? []).map((u) => [u.accountId, u.displayName]));
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const { notes } = await apiFetch<{ notes: Note[] }>(`/api/notes?issueKey=${encodeURIComponent(issueKey)}`);
      setNotes(notes);
      setError(null);
      const authors = [...new Set(notes.map((n) => n.authorAccountId))].slice(0, 20);
      const query = new URLSearchParams({ issueKey, accountIds: authors.join(',') });
      // The product round trip is decoration: the notes show even if it fails.
      apiFetch<IssueDetails>(`/api/issue-details?${query}`).then(setDetails, () => setDetails(null));
    } catch (err) {
      setError((err as Error).message);
    }
  }, [issueKey]);

  useEffect(() => {
    void load();
  }, [load]);

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    setSaving(true);
    try {
      await apiFetch('/api/notes', { method: 'POST', json: { issueKey, projectKey, text } });
      setText('');
      await load();
      void showFlag('Note added', `Your note is on ${issueKey}.`, 'success');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  async function remove(id: string) {
    try {
      await apiFetch(`/api/notes/${encodeURIComponent(id)}`, { method: 'DELETE' });
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
      {notes && <NoteList notes={notes} authors={authors} onDelete={remove} emptyText="No notes on this issue yet." />}
      <form onSubmit={add} style={{ display: 'grid', gap: 8, marginTop: 12 }}>
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
      </form>
    </section>
  );
}
