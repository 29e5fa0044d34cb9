import { forgeCaller } from '@/lib/forge/caller';
import { handle } from '@/lib/http/responses';
import { createNote, listNotes, notesApiDeps } from '@/lib/notes/api';

// The notes API for the Forge Custom UI (invokeRemote/requestRemote, a FIT): the same rules as /api/notes.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return handle(async () => listNotes((await forgeCaller(request)).caller, request, notesApiDeps()));
}

export function POST(request: Request): Promise<Response> {
  return handle(async () => createNote((await forgeCaller(request)).caller, request, notesApiDeps()));
}
