import { authenticateCaller } from '@/lib/http/authenticate';
import { handle } from '@/lib/http/responses';
import { createNote, listNotes, notesApiDeps } from '@/lib/notes/api';

// The iframe's notes API, called with a context token: see lib/notes/api.ts for shapes and rules.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return handle(async () => listNotes(await authenticateCaller(request), request, notesApiDeps()));
}

export function POST(request: Request): Promise<Response> {
  return handle(async () => createNote(await authenticateCaller(request), request, notesApiDeps()));
}
