/**
 * The notes store on SQLite and PostgreSQL: every verb is scoped by siteId, so nothing one site sends
 * (an id, an issue key) reaches another tenant's rows.
 */
import { beforeEach, expect, it } from 'vitest';
import { isForeignKeyError } from '@/lib/db/client';
import { MAX_LIST_LIMIT, createNotesStore, type NotesStore } from '@/lib/notes/store';
import type { Tenant } from '@/lib/tenants/types';
import { forEachDatabase, type DatabaseContext } from '../helpers/db';
import { ALICE, BOB, NOW, installTenant } from './helpers';

forEachDatabase('notes store', (t: DatabaseContext) => {
  let notes: NotesStore;
  let a: Tenant;
  let b: Tenant;

  beforeEach(async () => {
    let clock = NOW.getTime();
    notes = createNotesStore(t.db, { now: () => new Date((clock += 1000)) });
    [a, b] = [await installTenant(t), await installTenant(t)];
  });

  const note = (tenant: Tenant, issueKey: string, text = 'x', author = ALICE) =>
    notes.create(tenant.siteId, { issueKey, projectKey: issueKey.split('-')[0], authorAccountId: author, text });
  const texts = (list: { text: string }[]) => list.map((n) => n.text);

  it('lists an issue’s notes newest first, within the limit', async () => {
    for (const text of ['1', '2', '3']) await note(a, 'NOTE-1', text);
    expect(texts(await notes.listForIssue(a.siteId, 'NOTE-1'))).toEqual(['3', '2', '1']);
    expect(texts(await notes.listForIssue(a.siteId, 'NOTE-1', { limit: 2 }))).toEqual(['3', '2']);
  });

  it('caps any list at MAX_LIST_LIMIT and refuses a limit that is not a positive whole number', async () => {
    await note(a, 'NOTE-1');
    expect(await notes.listForIssue(a.siteId, 'NOTE-1', { limit: MAX_LIST_LIMIT * 10 })).toHaveLength(1);
    await expect(notes.listRecent(a.siteId, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(notes.listRecent(a.siteId, { limit: 1.5 })).rejects.toThrow(RangeError);
  });

  it('finds a note by id only within its tenant', async () => {
    const mine = await note(a, 'NOTE-1');
    expect(await notes.find(a.siteId, mine.id)).toMatchObject({ id: mine.id, siteId: a.siteId });
    expect(await notes.find(b.siteId, mine.id)).toBeNull();
  });

  it('lists only the tenant’s own notes, by issue and site-wide', async () => {
    await note(a, 'NOTE-1', 'A');
    await note(b, 'NOTE-1', 'B');
    expect(texts(await notes.listForIssue(b.siteId, 'NOTE-1'))).toEqual(['B']);
    expect(texts(await notes.listRecent(b.siteId))).toEqual(['B']);
  });

  it('deletes by author only within the tenant and only for the author', async () => {
    const mine = await note(a, 'NOTE-1');
    expect(await notes.deleteByAuthor(b.siteId, mine.id, ALICE)).toBe(false);
    expect(await notes.deleteByAuthor(a.siteId, mine.id, BOB)).toBe(false);
    expect(await notes.find(a.siteId, mine.id)).not.toBeNull();
    expect(await notes.deleteByAuthor(a.siteId, mine.id, ALICE)).toBe(true);
    expect(await notes.find(a.siteId, mine.id)).toBeNull();
  });

  it('deletes an issue’s notes in one tenant only', async () => {
    await note(a, 'NOTE-1');
    await note(a, 'NOTE-1');
    await note(a, 'NOTE-2');
    await note(b, 'NOTE-1');
    expect(await notes.deleteForIssue(a.siteId, 'NOTE-1')).toBe(2);
    expect(await notes.listForIssue(a.siteId, 'NOTE-2')).toHaveLength(1);
    expect(await notes.listForIssue(b.siteId, 'NOTE-1')).toHaveLength(1);
  });

  it('moves an issue’s notes to a new key and project in one tenant only', async () => {
    await note(a, 'NOTE-7', 'moved');
    await note(b, 'NOTE-7', 'stays');
    expect(await notes.renameIssue(a.siteId, 'NOTE-7', 'OPS-31', 'OPS')).toBe(1);
    expect(await notes.listForIssue(a.siteId, 'NOTE-7')).toEqual([]);
    expect(await notes.listForIssue(a.siteId, 'OPS-31')).toMatchObject([{ text: 'moved', issueKey: 'OPS-31', projectKey: 'OPS' }]);
    expect(await notes.listForIssue(b.siteId, 'NOTE-7')).toMatchObject([{ text: 'stays', projectKey: 'NOTE' }]);
  });

  it('moves notes to a key without a project (projectKey null), and counts only what it moved', async () => {
    await note(a, 'NOTE-8', 'moved');
    expect(await notes.renameIssue(a.siteId, 'NOTE-8', 'OPS-32', null)).toBe(1);
    expect(await notes.listForIssue(a.siteId, 'OPS-32')).toMatchObject([{ text: 'moved', issueKey: 'OPS-32', projectKey: null }]);
    expect(await notes.renameIssue(a.siteId, 'NOTE-8', 'OPS-33', 'OPS')).toBe(0);
    expect(await notes.deleteForIssue(a.siteId, 'NOTE-8')).toBe(0);
  });

  it('keeps notes when the tenant uninstalls, and the site row cannot be deleted while it holds them (RESTRICT)', async () => {
    await note(a, 'NOTE-1');
    await t.store.markUninstalled(a.clientKey);
    expect(await notes.listForIssue(a.siteId, 'NOTE-1')).toHaveLength(1);
    await t.db.tenant.delete({ where: { clientKey: a.clientKey } });
    await expect(t.db.site.delete({ where: { id: a.siteId } })).rejects.toSatisfy(isForeignKeyError);
    expect(await t.db.note.count({ where: { siteId: a.siteId } })).toBe(1);
  });
});
