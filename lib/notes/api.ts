/**
 * The notes API the app's iframes call with a context token (`Authorization: JWT <AP.context.getToken()>`):
 *
 *   GET    /api/notes?issueKey=NOTE-1   → 200 { notes: NoteView[] }  the issue's notes, newest first (at most 100)
 *   GET    /api/notes                   → 200 { notes: NoteView[] }  the site's 50 newest notes (general page)
 *   POST   /api/notes { issueKey, text, projectKey? } → 201 { note: NoteView }
 *   DELETE /api/notes/<id>              → 204; 403 if the caller did not write it; 404 if this site has no such note
 *
 * A pure database path: no product call (the issue summary and authors' names come from /api/issue-details).
 * Each handler returns a Response, or throws a ConnectError that `handle()` maps; routes under app/ only wire
 * `notesApiDeps()`.
 */
import { getConfig } from '../config';
import { ConnectError } from '../connect/errors';
import { authenticate, type AuthenticateDeps, type VerifiedConnectRequest } from '../http/authenticate';
import { readJsonBody } from '../http/body';
import { tenantStore } from '../tenants/store';
import { assertIssueInContext } from './issue-context';
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

export interface NotesApiDeps extends AuthenticateDeps {
  notes: NotesStore;
}

/** The app's dependencies: configuration, tenant store and notes store. */
export function notesApiDeps(): NotesApiDeps {
  return { store: tenantStore(), notes: notesStore(), appBaseUrl: getConfig().appUrl };
}

/** Answers never go to a shared cache: they are per user (`mine`) and change with every note. */
const NO_STORE = { 'Cache-Control': 'no-store' };
/** Note ids are UUIDs (`@default(uuid())`); anything else cannot exist and is not looked up. */
const NOTE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /api/notes[?issueKey=KEY]`.
 *
 * @example return handle(() => listNotes(request, notesApiDeps()));
 */
export async function listNotes(request: Request, deps: NotesApiDeps): Promise<Response> {
  const caller = await verify(request, deps);
  const issueKey = optionalIssueKey(new URL(request.url));
  assertIssueInContext(caller.context, issueKey);
  const clientKey = caller.tenant.clientKey;
  const notes = issueKey === undefined
    ? await deps.notes.listRecent(clientKey, { limit: RECENT_LIMIT })
    : await deps.notes.listForIssue(clientKey, issueKey, { limit: MAX_LIST_LIMIT });
  return Response.json({ notes: notes.map((n) => view(n, caller.userAccountId)) }, { headers: NO_STORE });
}

/**
 * `POST /api/notes` with a JSON body `{ issueKey, text, projectKey? }`. The author is the token's user.
 *
 * @example return handle(() => createNote(request, notesApiDeps()));
 */
export async function createNote(request: Request, deps: NotesApiDeps): Promise<Response> {
  const caller = await verify(request, deps);
  const author = requireUser(caller);
  const input = parseNoteInput(await readJsonBody(request, NOTE_BODY_LIMIT));
  assertIssueInContext(caller.context, input.issueKey);
  const note = await deps.notes.create(caller.tenant.clientKey, { ...input, authorAccountId: author });
  return Response.json({ note: view(note, author) }, { status: 201, headers: NO_STORE });
}

/**
 * `DELETE /api/notes/<id>`: only its author may delete a note. Another site's note id answers 404 exactly
 * like an unknown one, so nobody learns it exists.
 *
 * @example return handle(async () => deleteNote(request, (await params).id, notesApiDeps()));
 */
export async function deleteNote(request: Request, id: string, deps: NotesApiDeps): Promise<Response> {
  const caller = await verify(request, deps);
  const author = requireUser(caller);
  const clientKey = caller.tenant.clientKey;
  const note = NOTE_ID.test(id) ? await deps.notes.find(clientKey, id) : null;
  if (!note) throw notFound();
  assertIssueInContext(caller.context, note.issueKey);
  if (note.authorAccountId !== author) throw new ConnectError('FORBIDDEN', 'Only the author of a note can delete it.');
  // Conditional on the author again; false only if it was deleted meanwhile.
  if (!(await deps.notes.deleteByAuthor(clientKey, id, author))) throw notFound();
  return new Response(null, { status: 204, headers: NO_STORE });
}

function verify(request: Request, deps: NotesApiDeps): Promise<VerifiedConnectRequest> {
  return authenticate(request, 'context', deps);
}

/** Writes need a person: a context token without `sub` (an anonymous viewer) may only read. */
function requireUser(caller: VerifiedConnectRequest): string {
  if (!caller.userAccountId) throw new ConnectError('FORBIDDEN', 'Sign in to Atlassian to write or delete notes.');
  return caller.userAccountId;
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
