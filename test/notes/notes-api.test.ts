/**
 * The notes API (GET/POST /api/notes, DELETE /api/notes/<id>) through the code its routes run, on SQLite and
 * PostgreSQL, with tokens signed by atlassian-jwt. Every refusal also checks that nothing stored changed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { handle } from '@/lib/http/responses';
import { authenticateCaller } from '@/lib/http/authenticate';
import { createNote, deleteNote, listNotes, type NotesApiDeps, type NoteView } from '@/lib/notes/api';
import { createNotesStore, type NotesStore } from '@/lib/notes/store';
import type { Tenant } from '@/lib/tenants/types';
import { forEachDatabase, type DatabaseContext } from '../helpers/db';
import { ALICE, APP_URL, BOB, NOW, NOW_S, apiRequest, contextToken, generalToken, installTenant, issueToken, requestToken } from './helpers';

forEachDatabase('notes API', (t: DatabaseContext) => {
  let notes: NotesStore;
  let a: Tenant;
  let b: Tenant;

  beforeEach(async () => {
    let clock = NOW.getTime() - 3_600_000;
    // One second between notes, so "newest first" is unambiguous.
    notes = createNotesStore(t.db, { now: () => new Date((clock += 1000)) });
    [a, b] = [await installTenant(t), await installTenant(t)];
  });

  const deps = (): NotesApiDeps => ({ notes });
  // The Connect door: the context token becomes the verified caller the notes API takes.
  const caller = (request: Request) => authenticateCaller(request, { store: t.store, appBaseUrl: APP_URL, now: NOW });
  const list = (request: Request) => handle(async () => listNotes(await caller(request), request, deps()));
  const create = (request: Request) => handle(async () => createNote(await caller(request), request, deps()));
  const remove = (request: Request, id: string) => handle(async () => deleteNote(await caller(request), id, deps()));

  const getNotes = (token: string, query = '') => list(apiRequest(`/api/notes${query}`, { token }));
  const postNote = (token: string, body: unknown, init: { contentType?: string } = {}) =>
    create(apiRequest('/api/notes', { method: 'POST', token, body, ...init }));
  const deleteRequest = (token: string | undefined, id: string) => remove(apiRequest(`/api/notes/${id}`, { method: 'DELETE', token }), id);

  /** Creates a note through the API and returns it. */
  async function add(tenant: Tenant, issueKey: string, text: string, author = ALICE): Promise<NoteView> {
    const response = await postNote(issueToken(tenant, issueKey, author), { issueKey, text });
    expect(response.status).toBe(201);
    return ((await response.json()) as { note: NoteView }).note;
  }

  async function listed(response: Response): Promise<NoteView[]> {
    expect(response.status).toBe(200);
    return ((await response.json()) as { notes: NoteView[] }).notes;
  }

  const rows = () => t.db.note.findMany({ orderBy: { id: 'asc' } });

  async function expectRefused(response: Promise<Response>, status: number, code: string) {
    const before = await rows();
    const res = await response;
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: code });
    expect(await rows()).toEqual(before);
  }

  describe('reading and writing', () => {
    it('creates a note authored by the token’s user and answers 201 with it', async () => {
      const response = await postNote(issueToken(a, 'NOTE-1'), { issueKey: 'NOTE-1', text: '  Check the logs  ' });
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const { note } = await response.json();
      expect(note).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        issueKey: 'NOTE-1',
        projectKey: 'NOTE',
        text: 'Check the logs',
        authorAccountId: ALICE,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        mine: true,
      });
      expect(await rows()).toMatchObject([{ id: note.id, siteId: a.siteId, issueKey: 'NOTE-1', authorAccountId: ALICE }]);
    });

    it('lists an issue’s notes newest first, and only that issue’s', async () => {
      await add(a, 'NOTE-1', 'first');
      await add(a, 'NOTE-2', 'elsewhere');
      await add(a, 'NOTE-1', 'second', BOB);
      const response = await getNotes(issueToken(a, 'NOTE-1'), '?issueKey=NOTE-1');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const found = await listed(response);
      expect(found.map((n) => [n.text, n.authorAccountId, n.mine])).toEqual([
        ['second', BOB, false],
        ['first', ALICE, true],
      ]);
    });

    it('lists the site’s most recent notes, across issues, for a general page (no issueKey)', async () => {
      await add(a, 'NOTE-1', 'one');
      await add(a, 'OPS-7', 'two');
      const found = await listed(await getNotes(generalToken(a)));
      expect(found.map((n) => [n.issueKey, n.text])).toEqual([
        ['OPS-7', 'two'],
        ['NOTE-1', 'one'],
      ]);
    });

    it('keeps the site-wide list to the 50 newest notes', async () => {
      for (let i = 1; i <= 52; i++) await notes.create(a.siteId, { issueKey: `NOTE-${i}`, projectKey: 'NOTE', authorAccountId: ALICE, text: `n${i}` });
      const found = await listed(await getNotes(generalToken(a)));
      expect(found).toHaveLength(50);
      expect(found[0].text).toBe('n52');
      expect(found.at(-1)!.text).toBe('n3');
    });

    it('lets an anonymous viewer (no sub) read, with nothing marked as theirs', async () => {
      await add(a, 'NOTE-1', 'hello');
      const found = await listed(await getNotes(issueToken(a, 'NOTE-1', null), '?issueKey=NOTE-1'));
      expect(found).toMatchObject([{ text: 'hello', mine: false }]);
    });

    it('refuses to create a note without a user (403)', async () => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1', null), { issueKey: 'NOTE-1', text: 'who am I' }), 403, 'FORBIDDEN');
    });

    it('ignores unknown fields and accepts a projectKey that matches the issue', async () => {
      const response = await postNote(issueToken(a, 'NOTE-1'), { issueKey: 'NOTE-1', projectKey: 'NOTE', text: 'x', authorAccountId: BOB, id: 'mine', clientKey: b.clientKey });
      expect(response.status).toBe(201);
      const [row] = await rows();
      expect(row).toMatchObject({ siteId: a.siteId, authorAccountId: ALICE, projectKey: 'NOTE' });
      expect(row.id).not.toBe('mine');
    });
  });

  describe('deleting', () => {
    it('lets the author delete their note (204)', async () => {
      const note = await add(a, 'NOTE-1', 'bye');
      const response = await deleteRequest(issueToken(a, 'NOTE-1'), note.id);
      expect(response.status).toBe(204);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await rows()).toEqual([]);
    });

    it('refuses anyone else (403), and the note stays', async () => {
      const note = await add(a, 'NOTE-1', 'mine');
      await expectRefused(deleteRequest(issueToken(a, 'NOTE-1', BOB), note.id), 403, 'FORBIDDEN');
    });

    it('refuses a viewer without a user (403)', async () => {
      const note = await add(a, 'NOTE-1', 'mine');
      await expectRefused(deleteRequest(issueToken(a, 'NOTE-1', null), note.id), 403, 'FORBIDDEN');
    });

    it('answers 404 for an unknown id, a malformed id, and a note already deleted', async () => {
      const note = await add(a, 'NOTE-1', 'once');
      await expectRefused(deleteRequest(issueToken(a, 'NOTE-1'), '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
      await expectRefused(deleteRequest(issueToken(a, 'NOTE-1'), 'not-a-uuid'), 404, 'NOT_FOUND');
      expect((await deleteRequest(issueToken(a, 'NOTE-1'), note.id)).status).toBe(204);
      await expectRefused(deleteRequest(issueToken(a, 'NOTE-1'), note.id), 404, 'NOT_FOUND');
    });
  });

  describe('tenant isolation', () => {
    it('another site listing the same issue key sees none of this site’s notes', async () => {
      await add(a, 'NOTE-1', 'secret of A');
      expect(await listed(await getNotes(issueToken(b, 'NOTE-1'), '?issueKey=NOTE-1'))).toEqual([]);
      expect(await listed(await getNotes(generalToken(b)))).toEqual([]);
    });

    it('another site cannot delete a note by its id, even its author’s account id, and learns nothing (404 like an unknown id)', async () => {
      const note = await add(a, 'NOTE-1', 'secret of A');
      const unknown = await deleteRequest(issueToken(b, 'NOTE-1'), '00000000-0000-4000-8000-000000000000');
      const foreign = await deleteRequest(issueToken(b, 'NOTE-1', ALICE), note.id);
      expect(foreign.status).toBe(404);
      expect(await foreign.json()).toEqual(await unknown.json());
      expect(await rows()).toMatchObject([{ id: note.id, siteId: a.siteId }]);
    });

    it('a token signed with another site’s secret but naming this site is refused', async () => {
      await add(a, 'NOTE-1', 'secret of A');
      const forged = contextToken({ ...a, sharedSecret: b.sharedSecret });
      await expectRefused(getNotes(forged, '?issueKey=NOTE-1'), 401, 'BAD_SIGNATURE');
    });

    it('each site’s notes land under its own site, whatever the body says', async () => {
      await add(a, 'NOTE-1', 'A');
      await add(b, 'NOTE-1', 'B');
      expect((await listed(await getNotes(issueToken(a, 'NOTE-1'), '?issueKey=NOTE-1'))).map((n) => n.text)).toEqual(['A']);
      expect((await listed(await getNotes(issueToken(b, 'NOTE-1'), '?issueKey=NOTE-1'))).map((n) => n.text)).toEqual(['B']);
    });
  });

  describe('the issue a token was issued for', () => {
    it('refuses to list another issue with an issue’s token (403)', async () => {
      await expectRefused(getNotes(issueToken(a, 'NOTE-1'), '?issueKey=NOTE-2'), 403, 'FORBIDDEN');
    });

    it('refuses the site-wide list with an issue’s token (403)', async () => {
      await expectRefused(getNotes(issueToken(a, 'NOTE-1')), 403, 'FORBIDDEN');
    });

    it('refuses to write on another issue with an issue’s token (403)', async () => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), { issueKey: 'NOTE-2', text: 'sneaky' }), 403, 'FORBIDDEN');
    });

    it('refuses to delete a note of another issue with an issue’s token (403)', async () => {
      const note = await add(a, 'NOTE-2', 'on 2');
      await expectRefused(deleteRequest(issueToken(a, 'NOTE-1'), note.id), 403, 'FORBIDDEN');
    });

    it('lets a general page’s token (no issue in its context) name any issue of its site', async () => {
      expect((await postNote(generalToken(a), { issueKey: 'OPS-3', text: 'from the general page' })).status).toBe(201);
      expect(await listed(await getNotes(generalToken(a), '?issueKey=OPS-3'))).toHaveLength(1);
    });
  });

  describe('input validation', () => {
    it.each([
      ['lower case', 'note-1'],
      ['a leading zero', 'NOTE-01'],
      ['number zero', 'NOTE-0'],
      ['a digit first', '1NOTE-1'],
      ['no number', 'NOTE-'],
      ['no dash', 'NOTE1'],
      ['a space', 'NO TE-1'],
      ['trailing space', 'NOTE-1 '],
      ['a path', '../NOTE-1'],
      ['too long', `${'A'.repeat(200)}-1`],
    ])('refuses an issue key with %s (400), when writing and when reading', async (_, issueKey) => {
      await expectRefused(postNote(generalToken(a), { issueKey, text: 'x' }), 400, 'BAD_REQUEST');
      await expectRefused(getNotes(generalToken(a), `?issueKey=${encodeURIComponent(issueKey)}`), 400, 'BAD_REQUEST');
    });

    it('accepts project keys with digits and underscores', async () => {
      expect((await postNote(generalToken(a), { issueKey: 'A_B2-10', text: 'x' })).status).toBe(201);
    });

    it('refuses an empty issueKey parameter, and issueKey sent twice (400)', async () => {
      await expectRefused(getNotes(generalToken(a), '?issueKey='), 400, 'BAD_REQUEST');
      await expectRefused(getNotes(generalToken(a), '?issueKey=NOTE-1&issueKey=NOTE-2'), 400, 'BAD_REQUEST');
    });

    it.each([
      ['empty', ''],
      ['only whitespace', ' \n\t '],
      ['2001 characters', 'x'.repeat(2001)],
      ['2001 characters of emoji', '😀'.repeat(2001)],
      ['a NUL character', 'a\u0000b'],
      ['a control character', 'a\u0007b'],
      ['an unpaired surrogate', 'a\uD800b'],
    ])('refuses text that is %s (400)', async (_, text) => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), { issueKey: 'NOTE-1', text }), 400, 'BAD_REQUEST');
    });

    it('accepts 2000 characters, counted as characters not UTF-16 units, and keeps line breaks', async () => {
      expect((await add(a, 'NOTE-1', 'x'.repeat(2000))).text).toHaveLength(2000);
      expect([...(await add(a, 'NOTE-1', '😀'.repeat(2000))).text]).toHaveLength(2000);
      expect((await add(a, 'NOTE-1', 'line 1\r\n\tline 2')).text).toBe('line 1\r\n\tline 2');
    });

    it.each([
      ['text a number', { issueKey: 'NOTE-1', text: 42 }],
      ['text missing', { issueKey: 'NOTE-1' }],
      ['issueKey a number', { issueKey: 1, text: 'x' }],
      ['issueKey missing', { text: 'x' }],
      ['projectKey a number', { issueKey: 'NOTE-1', text: 'x', projectKey: 7 }],
      ['projectKey of another project', { issueKey: 'NOTE-1', text: 'x', projectKey: 'OPS' }],
      ['an array', [{ issueKey: 'NOTE-1', text: 'x' }]],
      ['a string', '"NOTE-1"'],
      ['null', 'null'],
    ])('refuses a body with %s (400)', async (_, body) => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), body), 400, 'BAD_REQUEST');
    });

    it('refuses malformed JSON (400)', async () => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), '{"issueKey":'), 400, 'BAD_REQUEST');
    });

    it('refuses a body that is not JSON (415)', async () => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), 'issueKey=NOTE-1&text=x', { contentType: 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), JSON.stringify({ issueKey: 'NOTE-1', text: 'x' }), { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses an oversized body (413) before parsing it', async () => {
      await expectRefused(postNote(issueToken(a, 'NOTE-1'), { issueKey: 'NOTE-1', text: 'x', padding: 'p'.repeat(20_000) }), 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('authentication', () => {
    const operations = {
      list: (token?: string) => list(apiRequest('/api/notes?issueKey=NOTE-1', { token })),
      create: (token?: string) => create(apiRequest('/api/notes', { method: 'POST', token, body: { issueKey: 'NOTE-1', text: 'x' } })),
      delete: (token?: string) => remove(apiRequest('/api/notes/00000000-0000-4000-8000-000000000000', { method: 'DELETE', token }), '00000000-0000-4000-8000-000000000000'),
    };
    const each = Object.entries(operations);

    it.each(each)('%s: refuses a request without a token (401)', async (_, op) => {
      await expectRefused(op(undefined), 401, 'TOKEN_MISSING');
    });

    it.each(each)('%s: refuses a token bound to a request (strict qsh) instead of a context token (401 QSH_MISMATCH)', async (_, op) => {
      // What a page load carries: a token whose qsh hashes that page's URL.
      const token = requestToken(a, 'GET', `${APP_URL}/api/notes?issueKey=NOTE-1`);
      await expectRefused(op(token), 401, 'QSH_MISMATCH');
    });

    it.each(each)('%s: refuses an expired token (401)', async (_, op) => {
      await expectRefused(op(issueToken(a, 'NOTE-1', ALICE, { iat: NOW_S - 2000, exp: NOW_S - 60 })), 401, 'TOKEN_EXPIRED');
    });

    it.each(each)('%s: refuses a token with a bad signature (401)', async (_, op) => {
      await expectRefused(op(contextToken({ ...a, sharedSecret: 'not-the-shared-secret-0123456789' })), 401, 'BAD_SIGNATURE');
    });

    it.each(each)('%s: refuses an unknown installation (401)', async (_, op) => {
      await expectRefused(op(contextToken({ ...a, clientKey: 'no-such-client' })), 401, 'UNKNOWN_TENANT');
    });

    it.each(each)('%s: refuses an uninstalled site (401)', async (_, op) => {
      await t.store.markUninstalled(a.clientKey, { iat: NOW_S });
      await expectRefused(op(issueToken(a, 'NOTE-1')), 401, 'TENANT_UNINSTALLED');
    });

    it.each(each)('%s: refuses a disabled site (403)', async (_, op) => {
      await t.store.markDisabled(a.clientKey, { iat: NOW_S });
      await expectRefused(op(issueToken(a, 'NOTE-1')), 403, 'TENANT_DISABLED');
    });

    it('never echoes the token or the shared secret in an error', async () => {
      const token = contextToken({ ...a, sharedSecret: 'wrong-secret-wrong-secret-0123' });
      const text = await (await operations.create(token)).text();
      expect(text).not.toContain(token);
      expect(text).not.toContain(a.sharedSecret);
    });
  });
});
