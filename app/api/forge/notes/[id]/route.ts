import { forgeCaller } from '@/lib/forge/caller';
import { handle } from '@/lib/http/responses';
import { deleteNote, notesApiDeps } from '@/lib/notes/api';

export const dynamic = 'force-dynamic';

export function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  return handle(async () => deleteNote((await forgeCaller(request)).caller, (await params).id, notesApiDeps()));
}
