/**
 * The body of `POST /api/notes`: `{ issueKey, text, projectKey? }`. Unknown fields are ignored (a newer
 * client may send more); a known field of the wrong type is a 400, so a client bug is not stored quietly.
 */
import { ConnectError } from '../connect/errors';
import { isProjectKey, projectKeyOf, requireIssueKey } from './issue-key';

/** Longest note, in characters (Unicode code points) after trimming: a textarea's `maxLength={2000}` always fits. */
export const MAX_NOTE_CHARS = 2000;

/**
 * Largest request body, in bytes: 2000 characters of up to 4 UTF-8 bytes each, JSON-escaped, plus the
 * other fields, fit with room to spare; anything larger is refused before it is parsed (413).
 */
export const NOTE_BODY_LIMIT = 16 * 1024;

export interface NoteInput {
  issueKey: string;
  /** Always the issue key's project: a `projectKey` that disagrees is refused. */
  projectKey: string;
  /** Trimmed. */
  text: string;
}

// C0 controls other than tab, line feed and carriage return. PostgreSQL cannot store NUL in text at all.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// In `u` mode surrogate pairs are one code point, so only unpaired halves match: they are not text.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Validates a parsed JSON body; throws ConnectError BAD_REQUEST with a message naming the field.
 *
 * @example parseNoteInput({ issueKey: 'NOTE-1', text: ' Hello ' }) // { issueKey: 'NOTE-1', projectKey: 'NOTE', text: 'Hello' }
 */
export function parseNoteInput(body: unknown): NoteInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ConnectError('BAD_REQUEST', 'The body must be a JSON object: { "issueKey": "NOTE-1", "text": "..." }.');
  }
  const fields = body as Record<string, unknown>;
  const issueKey = requireIssueKey(fields.issueKey, 'issueKey');
  const projectKey = projectKeyOf(issueKey);
  if (fields.projectKey !== undefined && fields.projectKey !== null) {
    if (!isProjectKey(fields.projectKey)) throw new ConnectError('BAD_REQUEST', 'projectKey must be a Jira project key such as NOTE.');
    if (fields.projectKey !== projectKey) throw new ConnectError('BAD_REQUEST', "projectKey must be the issue key's project.");
  }
  return { issueKey, projectKey, text: parseText(fields.text) };
}

function parseText(value: unknown): string {
  if (value === undefined || value === null) throw new ConnectError('BAD_REQUEST', 'text is required.');
  if (typeof value !== 'string') throw new ConnectError('BAD_REQUEST', 'text must be a string.');
  const text = value.trim();
  if (!text) throw new ConnectError('BAD_REQUEST', 'text must not be empty.');
  // Cheap bound first: more UTF-16 units than 2 per allowed character cannot be within the limit.
  if (text.length > 2 * MAX_NOTE_CHARS || [...text].length > MAX_NOTE_CHARS) {
    throw new ConnectError('BAD_REQUEST', `text must be at most ${MAX_NOTE_CHARS} characters.`);
  }
  if (LONE_SURROGATE.test(text)) throw new ConnectError('BAD_REQUEST', 'text is not valid Unicode.');
  if (CONTROL.test(text)) throw new ConnectError('BAD_REQUEST', 'text must not contain control characters.');
  return text;
}
