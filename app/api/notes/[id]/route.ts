import { authenticateCaller } from '@/lib/http/authenticate';
import { handle } from '@/lib/http/responses';
import { deleteNote, notesApiDeps } from '@/lib/notes/api';

export const dynamic = 'force-dynamic';

export function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  return handle(async () => deleteNote(await authenticateCaller(request), (await params).id, notesApiDeps()));
}
