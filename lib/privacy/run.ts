/**
 * A scheduled run over every site the app can report without Forge's help: sites with a Connect
 * installation that is not uninstalled (the shared secret signs the report at any time). Called by the
 * Vercel Cron route (app/api/cron/privacy-report) and `npm run privacy:report`. Sites reached only through
 * Forge report from their own scheduled trigger (./forge-trigger.ts); a site with both doors reports through
 * whichever runs first, once per cycle, because the cycle is the site's (./report-site.ts).
 *
 * Bounded: at most `maxSites` sites and nothing started after `deadline`; what is left waits for the next
 * run, which resumes from the database.
 */
import { getDb, type Db } from '../db/client';
import { log } from '../log';
import { tenantStore, type TenantReader } from '../tenants/store';
import type { HostClientOptions } from '../connect/host-client';
import { connectReportEndpoint } from './doors';
import { reportSite, type ReportCounts, type ReportOutcome, type ReportSiteOptions } from './report-site';

export interface PrivacyRunOptions extends Omit<ReportSiteOptions, 'deadline'> {
  /** Sites per run at most. Default 50. */
  maxSites?: number;
  /** Nothing starts after this. Default: 50 s from now (Vercel Hobby functions stop at 60 s). */
  deadline?: Date;
  hostClientOptions?: HostClientOptions;
}

export interface PrivacyRunDeps {
  db: Db;
  tenants: TenantReader;
}

export interface PrivacyRunSummary extends ReportCounts {
  sites: number;
  outcomes: Partial<Record<ReportOutcome, number>>;
  /** True when the bound (sites or time) stopped the run with due sites left. */
  truncated: boolean;
}

const DEFAULT_MAX_SITES = 50;
const DEFAULT_BUDGET_MS = 50_000;

/** @example const summary = await runPrivacyReports(privacyRunDeps()); */
export async function runPrivacyReports(deps: PrivacyRunDeps, options: PrivacyRunOptions = {}): Promise<PrivacyRunSummary> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const deadline = options.deadline ?? new Date(started.getTime() + DEFAULT_BUDGET_MS);
  const maxSites = options.maxSites ?? DEFAULT_MAX_SITES;
  const summary: PrivacyRunSummary = { sites: 0, outcomes: {}, batches: 0, reported: 0, closed: 0, updated: 0, notesErased: 0, truncated: false };

  const due = await dueConnectSites(deps.db, started, maxSites + 1);
  for (const site of due) {
    if (summary.sites >= maxSites || now() >= deadline) {
      summary.truncated = true;
      break;
    }
    const tenant = await deps.tenants.getTenant(site.clientKey);
    if (!tenant || tenant.state === 'uninstalled') continue;
    summary.sites++;
    let report;
    try {
      report = await reportSite(deps.db, site.siteId, connectReportEndpoint(tenant, options.hostClientOptions), { ...options, deadline });
    } catch (err) {
      // One site's failure (its secret unreadable, a database hiccup) must not stop the others.
      log.error('privacy_report_site_error', { siteId: site.siteId, name: (err as Error)?.name });
      summary.outcomes.failed = (summary.outcomes.failed ?? 0) + 1;
      continue;
    }
    summary.outcomes[report.outcome] = (summary.outcomes[report.outcome] ?? 0) + 1;
    summary.batches += report.batches;
    summary.reported += report.reported;
    summary.closed += report.closed;
    summary.updated += report.updated;
    summary.notesErased += report.notesErased;
  }
  log.info('privacy_run', { ...summary, outcomes: JSON.stringify(summary.outcomes) });
  return summary;
}

/**
 * Sites with a Connect installation whose report is due: never run, a cycle in progress, or the next cycle's
 * time reached; and not waiting out a Retry-After. Oldest site first, so every site gets its turn.
 */
async function dueConnectSites(db: Db, at: Date, limit: number): Promise<{ siteId: string; clientKey: string }[]> {
  const sites = await db.site.findMany({
    where: {
      tenants: { some: { state: { not: 'uninstalled' } } },
      OR: [
        { privacyReport: { is: null } },
        {
          privacyReport: {
            is: {
              AND: [
                { OR: [{ cycleStartedAt: { not: null } }, { nextCycleAt: null }, { nextCycleAt: { lte: at } }] },
                { OR: [{ retryAt: null }, { retryAt: { lte: at } }] },
              ],
            },
          },
        },
      ],
    },
    select: { id: true, tenants: { where: { state: { not: 'uninstalled' } }, select: { clientKey: true }, orderBy: { installedAt: 'desc' }, take: 1 } },
    orderBy: { createdAt: 'asc' },
    take: limit,
  });
  return sites.flatMap((s) => (s.tenants[0] ? [{ siteId: s.id, clientKey: s.tenants[0].clientKey }] : []));
}

/** The app's dependencies. */
export function privacyRunDeps(): PrivacyRunDeps {
  return { db: getDb(), tenants: tenantStore() };
}
