/**
 * One site's part of the personal data reporting cycle, run by whichever door can reach Atlassian for it
 * (./doors.ts) and scheduled by ./run.ts (Vercel Cron, `npm run privacy:report`) or ./forge-trigger.ts.
 *
 * A cycle reports every accountId the site stores (./accounts.ts), 90 a request, in ascending order. The
 * state is one PrivacyReport row per site, so any instance (serverless, replicas) picks up where another
 * stopped:
 *
 *   - cadence: a cycle starts no earlier than the previous cycle's start plus its Cycle-Period (7 days by
 *     default), so no account is reported more often than the cycle ("You should not send reports more
 *     frequently than the cycle period for each accountId");
 *   - cursor: after each answered batch, its erasures and the cursor (its last accountId) are written in one
 *     transaction. A crash before that write re-sends that batch on the next run, never skips one; acting on
 *     an answer twice changes nothing (deleting deleted notes);
 *   - bounded: at most `maxBatches` requests and nothing started after `deadline`;
 *   - 429: no request for that site before `Retry-After` has passed;
 *   - lease: a run holds the site for `leaseMs`, so two instances never report one site at once;
 *   - logs: counts and an outcome code, never an accountId.
 */
import { isUniqueConstraintError, type Db } from '../db/client';
import { ProductApiError } from '../connect/product-error';
import { log } from '../log';
import { accountsAfter, eraseClosedAccounts, forgetCopies } from './accounts';
import { DEFAULT_CYCLE_SECONDS, REPORT_BATCH_SIZE, reportAccounts, type ReportEndpoint } from './report-accounts';

export type ReportOutcome =
  /** The cycle reached its end: every account reported; next cycle after the Cycle-Period. */
  | 'completed'
  /** Batches were reported, more remain for a later run (bound reached). */
  | 'in-progress'
  /** The cycle is not due yet. */
  | 'not-due'
  /** Atlassian answered 429 now or earlier; no request before its Retry-After. */
  | 'rate-limited'
  /** Another run holds this site. */
  | 'busy'
  /** The API refused or failed (a ProductApiError code in `error`); retried after a back-off. */
  | 'failed';

/** What a run did, for one site (SiteReport) or summed over sites (./run.ts). */
export interface ReportCounts {
  /** Requests sent in this run. */
  batches: number;
  /** Accounts named in those requests. */
  reported: number;
  closed: number;
  updated: number;
  /** Notes erased for closed accounts. */
  notesErased: number;
}

export interface SiteReport extends ReportCounts {
  outcome: ReportOutcome;
  error?: string;
}

export interface ReportSiteOptions {
  /** Default: now. */
  now?: () => Date;
  /** Requests per run at most. Default 10. */
  maxBatches?: number;
  /** No request starts after this time. Default: none beyond `maxBatches`. */
  deadline?: Date;
  /** How long a run holds the site. Default 5 minutes (Vercel's longest function on Pro); never shorter than the run. */
  leaseMs?: number;
  /** Wait after a failed request (not a 429). Default 1 hour. */
  failureBackoffMs?: number;
}

const DEFAULT_MAX_BATCHES = 10;
const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_FAILURE_BACKOFF_MS = 3_600_000;

/**
 * Runs the site's reporting for a while, through `endpoint`.
 *
 * @example const result = await reportSite(getDb(), siteId, connectReportEndpoint(tenant), { maxBatches: 5 });
 */
export async function reportSite(db: Db, siteId: string, endpoint: ReportEndpoint, options: ReportSiteOptions = {}): Promise<SiteReport> {
  const now = options.now ?? (() => new Date());
  const maxBatches = options.maxBatches ?? DEFAULT_MAX_BATCHES;
  const result: SiteReport = { outcome: 'not-due', batches: 0, reported: 0, closed: 0, updated: 0, notesErased: 0 };

  const start = now();
  if (!(await acquire(db, siteId, start, options.leaseMs ?? DEFAULT_LEASE_MS))) return finish({ ...result, outcome: 'busy' });

  try {
    const state = await db.privacyReport.findUniqueOrThrow({ where: { siteId } });
    if (state.retryAt && state.retryAt > start) return await release({ ...result, outcome: 'rate-limited' });
    let cycleStartedAt = state.cycleStartedAt;
    let cursor = state.cursor;
    let cycleSeconds = state.cycleSeconds;
    if (!cycleStartedAt) {
      if (state.nextCycleAt && state.nextCycleAt > start) return await release(result);
      cycleStartedAt = start;
      cursor = null;
      await db.privacyReport.update({ where: { siteId }, data: { cycleStartedAt, cursor: null } });
    }

    for (;;) {
      const page = await accountsAfter(db, siteId, cursor, REPORT_BATCH_SIZE);
      if (!page.length) {
        const completedAt = now();
        await db.privacyReport.update({
          where: { siteId },
          data: {
            cycleStartedAt: null,
            cursor: null,
            nextCycleAt: new Date(cycleStartedAt.getTime() + cycleSeconds * 1000),
            lastCompletedAt: completedAt,
          },
        });
        return await release({ ...result, outcome: 'completed' });
      }
      if (result.batches >= maxBatches || (options.deadline && now() >= options.deadline)) {
        return await release({ ...result, outcome: 'in-progress' });
      }

      let answer;
      try {
        answer = await reportAccounts(endpoint, page);
      } catch (err) {
        if (!(err instanceof ProductApiError)) throw err;
        const retryAt = new Date(now().getTime() + (options.failureBackoffMs ?? DEFAULT_FAILURE_BACKOFF_MS));
        await db.privacyReport.update({ where: { siteId }, data: { retryAt } });
        return await release({ ...result, outcome: 'failed', error: err.code });
      }
      result.batches++;
      if (answer.kind === 'rate-limited') {
        const retryAt = new Date(now().getTime() + answer.retryAfterSeconds * 1000);
        await db.privacyReport.update({ where: { siteId }, data: { retryAt } });
        return await release({ ...result, outcome: 'rate-limited' });
      }

      result.reported += page.length;
      const closed = answer.updates.filter((u) => u.status === 'closed').map((u) => u.accountId);
      const updated = answer.updates.filter((u) => u.status === 'updated').map((u) => u.accountId);
      cursor = page[page.length - 1].accountId;
      if (answer.cycleSeconds !== undefined) cycleSeconds = answer.cycleSeconds;
      const nextCursor = cursor;
      const erased = await db.$transaction(async (tx) => {
        const count = await eraseClosedAccounts(tx, siteId, closed);
        await tx.privacyReport.update({ where: { siteId }, data: { cursor: nextCursor, cycleSeconds, retryAt: null } });
        return count;
      });
      // `updated`: the app copies no profile data into the database (notes hold the accountId only), so
      // what is invalid is the in-memory display names; they are fetched again when next shown.
      forgetCopies([...closed, ...updated]);
      result.closed += closed.length;
      result.updated += updated.length;
      result.notesErased += erased;
    }
  } catch (err) {
    await release({ ...result, outcome: 'failed', error: 'INTERNAL' }).catch(() => undefined);
    throw err;
  }

  async function release(report: SiteReport): Promise<SiteReport> {
    await db.privacyReport.update({ where: { siteId }, data: { leaseUntil: null, lastOutcome: report.error ?? report.outcome } });
    return finish(report);
  }

  function finish(report: SiteReport): SiteReport {
    const { outcome, batches, reported, closed, updated, notesErased, error } = report;
    const fields = { siteId, door: endpoint.door, outcome, batches, reported, closed, updated, notesErased, ...(error ? { error } : {}) };
    if (outcome === 'failed') log.warn('privacy_report', fields);
    else log.info('privacy_report', fields);
    return report;
  }
}

/**
 * Takes the site's lease: creates its row on first use, then one conditional update that only succeeds
 * when no unexpired lease exists, so concurrent runs (any instance) agree on one winner.
 */
async function acquire(db: Db, siteId: string, at: Date, leaseMs: number): Promise<boolean> {
  try {
    await db.privacyReport.upsert({ where: { siteId }, create: { siteId, cycleSeconds: DEFAULT_CYCLE_SECONDS }, update: {} });
  } catch (err) {
    // Another run created the row between the upsert's read and its insert: the row exists, go on.
    if (!isUniqueConstraintError(err)) throw err;
  }
  const { count } = await db.privacyReport.updateMany({
    where: { siteId, OR: [{ leaseUntil: null }, { leaseUntil: { lte: at } }] },
    data: { leaseUntil: new Date(at.getTime() + leaseMs) },
  });
  return count === 1;
}
