/**
 * The notes store: the only code that reads or writes the Note table. Every verb takes the tenant's
 * `clientKey` and every query filters on it, so one installation can never read or change another's notes,
 * whatever note id or issue key it sends: a foreign id is simply not found.
 *
 * `createNotesStore(db)` works over the app's client or over a transaction (the webhook handlers apply their
 * effect in the transaction that records the delivery); `notesStore()` is the app's store over `getDb()`.
 */
import { getDb, type Db, type NoteRow } from '../db/client';

/** A note as the store returns it. */
export type Note = Pick<NoteRow, 'id' | 'clientKey' | 'issueKey' | 'projectKey' | 'authorAccountId' | 'text' | 'createdAt'>;

export interface NewNote {
  issueKey: string;
  projectKey: string | null;
  authorAccountId: string;
  text: string;
}

export interface NotesStore {
  /** The issue's notes, newest first, at most `limit` (default and maximum {@link MAX_LIST_LIMIT}). */
  listForIssue(clientKey: string, issueKey: string, options?: { limit?: number }): Promise<Note[]>;
  /** The site's newest notes, on any issue, at most `limit` (default {@link RECENT_LIMIT}, maximum {@link MAX_LIST_LIMIT}). */
  listRecent(clientKey: string, options?: { limit?: number }): Promise<Note[]>;
  /** The note with this id in this tenant, or null (also for another tenant's id). */
  find(clientKey: string, id: string): Promise<Note | null>;
  create(clientKey: string, note: NewNote): Promise<Note>;
  /** Deletes the note only if this tenant has it and `authorAccountId` wrote it. True when it was deleted. */
  deleteByAuthor(clientKey: string, id: string, authorAccountId: string): Promise<boolean>;
  /** Deletes all of the tenant's notes on an issue (the issue was deleted). Returns how many. */
  deleteForIssue(clientKey: string, issueKey: string): Promise<number>;
  /** Moves the tenant's notes from one issue key to another (the issue moved to another project). Returns how many. */
  renameIssue(clientKey: string, fromIssueKey: string, toIssueKey: string, toProjectKey: string | null): Promise<number>;
}

/** Most notes one list query returns. */
export const MAX_LIST_LIMIT = 100;
/** Default size of the site-wide "recent notes" list. */
export const RECENT_LIMIT = 50;

/** The part of a Prisma client (or of an interactive transaction's client) the store uses. */
export type NotesDb = Pick<Db, 'note'>;

export interface NotesStoreOptions {
  /** Clock for `createdAt`, for tests. Default: now. */
  now?: () => Date;
}

const SELECT = { id: true, clientKey: true, issueKey: true, projectKey: true, authorAccountId: true, text: true, createdAt: true } as const;
// `id` breaks ties between notes created in the same millisecond, so pages are stable.
const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/**
 * A notes store over `db`.
 *
 * @example
 * const notes = createNotesStore(getDb());
 * await notes.create(tenant.clientKey, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId, text: 'Hi' });
 */
export function createNotesStore(db: NotesDb, options: NotesStoreOptions = {}): NotesStore {
  const now = options.now ?? (() => new Date());
  return {
    async listForIssue(clientKey, issueKey, { limit } = {}) {
      return db.note.findMany({ where: { clientKey, issueKey }, orderBy: NEWEST_FIRST, take: clamp(limit, MAX_LIST_LIMIT), select: SELECT });
    },

    async listRecent(clientKey, { limit } = {}) {
      return db.note.findMany({ where: { clientKey }, orderBy: NEWEST_FIRST, take: clamp(limit, RECENT_LIMIT), select: SELECT });
    },

    find: (clientKey, id) => db.note.findFirst({ where: { id, clientKey }, select: SELECT }),

    create: (clientKey, note) =>
      db.note.create({
        data: { clientKey, issueKey: note.issueKey, projectKey: note.projectKey, authorAccountId: note.authorAccountId, text: note.text, createdAt: now() },
        select: SELECT,
      }),

    async deleteByAuthor(clientKey, id, authorAccountId) {
      // One conditional statement: a note cannot change hands between a check and the delete.
      const { count } = await db.note.deleteMany({ where: { id, clientKey, authorAccountId } });
      return count === 1;
    },

    async deleteForIssue(clientKey, issueKey) {
      return (await db.note.deleteMany({ where: { clientKey, issueKey } })).count;
    },

    async renameIssue(clientKey, fromIssueKey, toIssueKey, toProjectKey) {
      const { count } = await db.note.updateMany({ where: { clientKey, issueKey: fromIssueKey }, data: { issueKey: toIssueKey, projectKey: toProjectKey } });
      return count;
    },
  };
}

function clamp(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive whole number.');
  return Math.min(limit, MAX_LIST_LIMIT);
}

let defaultStore: NotesStore | undefined;

/** The app's notes store over `getDb()`, created on first use. */
export function notesStore(): NotesStore {
  defaultStore ??= createNotesStore(getDb());
  return defaultStore;
}
