/**
 * The notes API, one set of rules for both doors: the Connect iframes call `/api/notes` with a context token
 * (`Authorization: JWT <AP.context.getToken()>`), the Forge Custom UI calls `/api/forge/notes` through Forge
 * (`Authorization: Bearer <FIT>`). Each route turns its token into a {@link VerifiedCaller} and calls the
 * same function here:
 *
 *   GET    /api/notes?issueKey=NOTE-1   → 200 { notes: NoteView[], readOnly? }  the issue's notes, newest first (at most 100)
 *   GET    /api/notes                   → 200 { notes: NoteView[], readOnly? }  the site's 50 newest notes (general page)
 *   POST   /api/notes { issueKey, text, projectKey? } → 201 { note: NoteView }
 *   DELETE /api/notes/<id>              → 204; 403 if the caller did not write it; 404 if this site has no such note
 *
 * (and the same under /api/forge/notes). With LICENSE_REQUIRED=true a site whose license is inactive reads
 * but does not write: POST and DELETE answer 403 LICENSE_REQUIRED, and GET says so up front in
 * `readOnly: { code, message }` so the panel can explain before anyone types (lib/sites/caller.ts).
 *
 * A pure database path: no product call (the issue summary and authors' names come from /api/issue-details).
 * Each handler returns a Response, or throws a ConnectError that `handle()` maps; routes under app/ only build
 * the caller and wire `notesApiDeps()`.
 */
import { ConnectError } from '../connect/errors';
import { readJsonBody } from '../http/body';
import { getConfig } from '../config';
import { readOnlyReason, requireWriter, type LicensePolicy, type VerifiedCaller } from '../sites/caller';
import { assertIssueBound } from './issue-context';
import { requireIssueKey } from './issue-key';
import { NOTE_BODY_LIMIT, parseNoteInput } from './note-input';
import { MAX_LIST_LIMIT, RECENT_LIMIT, notesStore, type Note, type NotesStore } from './store';

/** What the API hands the iframe. `mine` is whether the caller wrote it (and so may delete it). */
export interface NoteView {
  id: string;
  issueKey: string;
  projectKey: string | null;
  text: string;
  authorAccountId: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  mine: boolean;
}

export interface NotesApiDeps extends LicensePolicy {
  notes: NotesStore;
}

/** The app's dependencies: the notes store, and LICENSE_REQUIRED from the configuration. */
export function notesApiDeps(): NotesApiDeps {
  return { notes: notesStore(), licenseRequired: getConfig().licenseRequired };
}

/** Answers never go to a shared cache: they are per user (`mine`) and change with every note. */
const NO_STORE = { 'Cache-Control': 'no-store' };
/** Note ids are UUIDs (`@default(uuid())`); anything else cannot exist and is not looked up. */
const NOTE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /api/notes[?issueKey=KEY]`.
 *
 * @example return handle(async () => listNotes(await authenticateCaller(request), request, notesApiDeps()));
 */
export async function listNotes(caller: VerifiedCaller, request: Request, deps: NotesApiDeps): Promise<Response> {
  const issueKey = optionalIssueKey(new URL(request.url));
  assertIssueBound(caller.boundIssueKey, issueKey);
  const notes = issueKey === undefined
    ? await deps.notes.listRecent(caller.siteId, { limit: RECENT_LIMIT })
    : await deps.notes.listForIssue(caller.siteId, issueKey, { limit: MAX_LIST_LIMIT });
  const readOnly = readOnlyReason(caller, deps);
  return Response.json({ notes: notes.map((n) => view(n, caller.accountId)), ...(readOnly && { readOnly }) }, { headers: NO_STORE });
}

/**
 * `POST /api/notes` with a JSON body `{ issueKey, text, projectKey? }`. The author is the token's user.
 *
 * @example return handle(async () => createNote(await authenticateCaller(request), request, notesApiDeps()));
 */
export async function createNote(caller: VerifiedCaller, request: Request, deps: NotesApiDeps): Promise<Response> {
  const author = requireWriter(caller, deps);
  const input = parseNoteInput(await readJsonBody(request, NOTE_BODY_LIMIT));
  assertIssueBound(caller.boundIssueKey, input.issueKey);
  const note = await deps.notes.create(caller.siteId, { ...input, authorAccountId: author });
  return Response.json({ note: view(note, author) }, { status: 201, headers: NO_STORE });
}

/**
 * `DELETE /api/notes/<id>`: only its author may delete a note. Another site's note id answers 404 exactly
 * like an unknown one, so nobody learns it exists.
 *
 * @example return handle(async () => deleteNote(await authenticateCaller(request), (await params).id, notesApiDeps()));
 */
export async function deleteNote(caller: VerifiedCaller, id: string, deps: NotesApiDeps): Promise<Response> {
  // Writes need a person (a token without a user, an anonymous viewer, may only read) and, under
  // LICENSE_REQUIRED, a site whose license is not inactive.
  const author = requireWriter(caller, deps);
  const note = NOTE_ID.test(id) ? await deps.notes.find(caller.siteId, id) : null;
  if (!note) throw notFound();
  assertIssueBound(caller.boundIssueKey, note.issueKey);
  if (note.authorAccountId !== author) throw new ConnectError('FORBIDDEN', 'Only the author of a note can delete it.');
  // Conditional on the author again; false only if it was deleted meanwhile.
  if (!(await deps.notes.deleteByAuthor(caller.siteId, id, author))) throw notFound();
  return new Response(null, { status: 204, headers: NO_STORE });
}

function optionalIssueKey(url: URL): string | undefined {
  const values = url.searchParams.getAll('issueKey');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new ConnectError('BAD_REQUEST', 'Send issueKey once.');
  return requireIssueKey(values[0], 'issueKey');
}

function notFound(): ConnectError {
  return new ConnectError('NOT_FOUND', 'No such note.');
}

function view(note: Note, userAccountId: string | undefined): NoteView {
  return {
    id: note.id,
    issueKey: note.issueKey,
    projectKey: note.projectKey,
    text: note.text,
    authorAccountId: note.authorAccountId,
    createdAt: note.createdAt.toISOString(),
    mine: userAccountId !== undefined && note.authorAccountId === userAccountId,
  };
}
