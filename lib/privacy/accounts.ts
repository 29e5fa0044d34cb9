/**
 * Every place the app keeps an Atlassian accountId, and what erasing one means. The one list to extend when
 * a model gains a column holding an accountId (or a copy of profile data):
 *
 *   Note.authorAccountId + Note.text   stored, per site   → reported; erased on `closed`
 *   display names (lib/notes/issue-details.ts)  a copy, in process memory only, 5 minutes at most
 *                                                          → dropped on `closed` and `updated`
 *
 * Nothing else holds an accountId: tenants and Forge installations hold sites, logs hold counts.
 *
 * `closed` deletes the account's notes. A note is free text its author wrote and only its author may delete
 * (lib/notes/store.ts deleteByAuthor): it is that person's personal data, and no rule can tell whether the
 * text names or describes them, so replacing the author with "former user" would keep what the person asked
 * to have erased. Jira keeps a closed account's comments as the site's record; this sample's notes are the
 * author's own, so they go. A vendor whose notes are the team's record can anonymise here instead, and must
 * say so in its privacy policy.
 *
 * Erasure is per site: the site whose report got the answer. The same person's notes on another site are
 * erased when that site reports them, within its own cycle, so one site's answer never changes another
 * site's data (the rule every store in the app keeps).
 */
import type { Db, Tx } from '../db/client';
import { defaultDisplayNameCache, type DisplayNameCache } from '../notes/issue-details';
import type { ReportedAccount } from './report-accounts';

/**
 * The site's accountIds after `after` (ascending, so a cursor resumes where a run stopped), at most
 * `limit`, each with the newest time the app stored data for it.
 *
 * @example const page = await accountsAfter(db, siteId, cursor, 90);
 */
export async function accountsAfter(db: Pick<Db, 'note'>, siteId: string, after: string | null, limit: number): Promise<ReportedAccount[]> {
  const rows = await db.note.groupBy({
    by: ['authorAccountId'],
    where: { siteId, ...(after === null ? {} : { authorAccountId: { gt: after } }) },
    _max: { createdAt: true },
    orderBy: { authorAccountId: 'asc' },
    take: limit,
  });
  return rows.map((row) => ({ accountId: row.authorAccountId, updatedAt: (row._max.createdAt ?? new Date(0)).toISOString() }));
}

/**
 * Erases what the site stores for closed accounts. Returns how many notes went.
 *
 * @example await db.$transaction((tx) => eraseClosedAccounts(tx, siteId, ['5be24ba3f91c106033269289']));
 */
export async function eraseClosedAccounts(tx: Pick<Tx, 'note'>, siteId: string, accountIds: string[]): Promise<number> {
  if (!accountIds.length) return 0;
  const { count } = await tx.note.deleteMany({ where: { siteId, authorAccountId: { in: accountIds } } });
  return count;
}

/**
 * Drops this process's copies of the accounts' profile data (display names), so the next view fetches them
 * again. Other instances' copies expire on their own within the cache's 5 minutes.
 */
export function forgetCopies(accountIds: string[], names: DisplayNameCache = defaultDisplayNameCache): void {
  for (const accountId of accountIds) names.forgetAccount(accountId);
}
