/**
 * The notes store: the only code that reads or writes the Note table. Every verb takes the caller's
 * `siteId` (lib/sites/: one per Atlassian site, shared by its Connect and Forge installations) and every query
 * filters on it, so one site can never read or change another's notes, whatever note id or issue key it
 * sends: a foreign id is simply not found.
 *
 * `createNotesStore(db)` works over the app's client or over a transaction (the webhook handlers apply their
 * effect in the transaction that records the delivery); `notesStore()` is the app's store over `getDb()`.
 */
import { getDb, type Db, type NoteRow, type Statement } from '../db/client';

/** A note as the store returns it. */
export type Note = Pick<NoteRow, 'id' | 'siteId' | 'issueKey' | 'projectKey' | 'authorAccountId' | 'text' | 'createdAt'>;

export interface NewNote {
  issueKey: string;
  projectKey: string | null;
  authorAccountId: string;
  text: string;
}

export interface NotesStore {
  /** The issue's notes, newest first, at most `limit` (default and maximum {@link MAX_LIST_LIMIT}). */
  listForIssue(siteId: string, issueKey: string, options?: { limit?: number }): Promise<Note[]>;
  /** The site's newest notes, on any issue, at most `limit` (default {@link RECENT_LIMIT}, maximum {@link MAX_LIST_LIMIT}). */
  listRecent(siteId: string, options?: { limit?: number }): Promise<Note[]>;
  /** The note with this id in this site, or null (also for another tenant's id). */
  find(siteId: string, id: string): Promise<Note | null>;
  create(siteId: string, note: NewNote): Promise<Note>;
  /** Deletes the note only if this site has it and `authorAccountId` wrote it. True when it was deleted. */
  deleteByAuthor(siteId: string, id: string, authorAccountId: string): Promise<boolean>;
  /**
   * Deletes all of the site's notes on an issue (the issue was deleted). Resolves to how many. A statement:
   * sent when awaited, or run in a batch transaction (lib/webhooks/deliveries.ts).
   */
  deleteForIssue(siteId: string, issueKey: string): Statement<number>;
  /**
   * Moves the site's notes from one issue key to another (the issue moved to another project). Resolves to
   * how many. A statement, as {@link NotesStore.deleteForIssue}.
   */
  renameIssue(siteId: string, fromIssueKey: string, toIssueKey: string, toProjectKey: string | null): Statement<number>;
}

/** Most notes one list query returns. */
export const MAX_LIST_LIMIT = 100;
/** Default size of the site-wide "recent notes" list. */
export const RECENT_LIMIT = 50;

/** The part of a Prisma client (or of an interactive transaction's client) the store uses. */
export type NotesDb = Pick<Db, 'note' | '$executeRaw'>;

export interface NotesStoreOptions {
  /** Clock for `createdAt`, for tests. Default: now. */
  now?: () => Date;
}

const SELECT = { id: true, siteId: true, issueKey: true, projectKey: true, authorAccountId: true, text: true, createdAt: true } as const;
// `id` breaks ties between notes created in the same millisecond, so pages are stable.
const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/**
 * A notes store over `db`.
 *
 * @example
 * const notes = createNotesStore(getDb());
 * await notes.create(caller.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId, text: 'Hi' });
 */
export function createNotesStore(db: NotesDb, options: NotesStoreOptions = {}): NotesStore {
  const now = options.now ?? (() => new Date());
  return {
    async listForIssue(siteId, issueKey, { limit } = {}) {
      return db.note.findMany({ where: { siteId, issueKey }, orderBy: NEWEST_FIRST, take: clamp(limit, MAX_LIST_LIMIT), select: SELECT });
    },

    async listRecent(siteId, { limit } = {}) {
      return db.note.findMany({ where: { siteId }, orderBy: NEWEST_FIRST, take: clamp(limit, RECENT_LIMIT), select: SELECT });
    },

    find: (siteId, id) => db.note.findFirst({ where: { id, siteId }, select: SELECT }),

    create: (siteId, note) =>
      db.note.create({
        data: { siteId, issueKey: note.issueKey, projectKey: note.projectKey, authorAccountId: note.authorAccountId, text: note.text, createdAt: now() },
        select: SELECT,
      }),

    async deleteByAuthor(siteId, id, authorAccountId) {
      // One conditional statement: a note cannot change hands between a check and the delete.
      const { count } = await db.note.deleteMany({ where: { id, siteId, authorAccountId } });
      return count === 1;
    },

    // The two webhook effects are plain SQL, the same on SQLite and PostgreSQL, returned unsent (not `async`):
    // the delivery runs them in its transaction (lib/webhooks/deliveries.ts), where a raw statement costs
    // Prisma less CPU than deleteMany/updateMany (bench/webhook-tx.measure.ts, docs/performance.md section 3).
    deleteForIssue: (siteId, issueKey) => db.$executeRaw`DELETE FROM "Note" WHERE "siteId" = ${siteId} AND "issueKey" = ${issueKey}`,

    renameIssue: (siteId, fromIssueKey, toIssueKey, toProjectKey) =>
      db.$executeRaw`UPDATE "Note" SET "issueKey" = ${toIssueKey}, "projectKey" = ${toProjectKey} WHERE "siteId" = ${siteId} AND "issueKey" = ${fromIssueKey}`,
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
