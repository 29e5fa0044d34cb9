/**
 * The Forge door's personal data reporting: `POST /api/forge/privacy-report`, called by the
 * `scheduledTrigger` `privacy-report` through the endpoint `forge-privacy-report` (forge/manifest.yml).
 *
 * A remote has a Forge credential only inside an invocation: the scheduled trigger's request carries a FIT
 * and, because the endpoint asks for it, the app system token (`x-forge-oauth-system`). So this is where a
 * Forge-only site reports, for its own site only, with that token.
 *
 * Who may call: a FIT minted for this route's endpoint (`core:endpoint`, the endpoint forge/manifest.yml
 * routes here, no `principal`: lib/forge/route-rules.ts, the table every Forge route uses). Anything else (a UI
 * module's token replayed here via invokeRemote, an event's token, a user's) is 403 FORGE_MODULE_NOT_ALLOWED
 * before any state is read: every FIT of the app verifies, so the module decides.
 *
 * Forge gives the remote 5 s and retries a failure 4 times. The route runs the trigger under the same deadline
 * as the event routes (FORGE_EVENT_DEADLINE_MS, 3.5 s, lib/deadline.ts): a key server or database that does not
 * answer is a 503 DEADLINE_EXCEEDED in time, and Forge retries. Each report request is bounded at 1.5 s and
 * none starts unless it can finish before the deadline, so a run that is reporting answers in time; what
 * remains waits for the next hourly trigger, from the cursor. A report that failed or was rate-limited is still
 * answered 200: it is recorded (retryAt) and a Forge retry a few seconds later could only break the Retry-After.
 */
import { ProductApiError } from '../connect/product-error';
import { getDb, type Db } from '../db/client';
import type { Deadline } from '../deadline';
import { verifyForgeRequest, type ForgeInvocation, type VerifyForgeInvocationTokenOptions } from '../forge/invocation-token';
import type { ForgeProductClientOptions } from '../forge/product-client';
import { forgeRemoteOptions } from '../forge/remote';
import { assertBackendInvocation, type ForgeBackendRoute } from '../forge/route-rules';
import { forgeSiteClaims } from '../forge/site-claims';
import { log } from '../log';
import { siteStore, type SiteStore } from '../sites/store';
import { forgeReportEndpoint } from './doors';
import { reportSite, type ReportSiteOptions, type SiteReport } from './report-site';

/** The route of app/api/forge/privacy-report: an endpoint's `route.path` in forge/manifest.yml. */
export const FORGE_PRIVACY_ROUTE: ForgeBackendRoute = '/api/forge/privacy-report';

/** The longest one report request may take; none starts later than this before the deadline. */
const REQUEST_TIMEOUT_MS = 1_500;

export interface ForgeTriggerDeps {
  verify: VerifyForgeInvocationTokenOptions;
  sites: SiteStore;
  db: Db;
  report?: Omit<ReportSiteOptions, 'deadline'>;
  product?: ForgeProductClientOptions;
  /** The route's deadline (withDeadline): no report request starts unless it can finish before it. */
  deadline?: Deadline;
}

/** The app's dependencies, under the route's deadline. */
export function forgeTriggerDeps(deadline?: Deadline): ForgeTriggerDeps {
  return { verify: forgeRemoteOptions(), sites: siteStore(), db: getDb(), deadline };
}

/**
 * Verifies the trigger's FIT and reports its site, within `deps.deadline`'s time.
 *
 * @example return withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) => Response.json(await receivePrivacyTrigger(request, forgeTriggerDeps(deadline))));
 */
export async function receivePrivacyTrigger(request: Request, deps: ForgeTriggerDeps): Promise<SiteReport | { outcome: 'failed'; error: string }> {
  const forge = await verifyForgeRequest(request, deps.verify);
  assertBackendInvocation(forge.invocation, FORGE_PRIVACY_ROUTE);
  const installation = await deps.sites.resolveForgeInstallation(forgeSiteClaims(forge.invocation));
  await request.body?.cancel().catch(() => undefined);
  let endpoint;
  try {
    endpoint = forgeReportEndpoint(forge, { timeoutMs: REQUEST_TIMEOUT_MS, ...deps.product });
  } catch (err) {
    if (!(err instanceof ProductApiError)) throw err;
    // The manifest's endpoint lacks auth.appSystemToken, or apiBaseUrl is not Atlassian's: nothing to retry.
    log.warn('privacy_report', { siteId: installation.siteId, door: 'forge', outcome: 'failed', error: err.code });
    return { outcome: 'failed', error: err.code };
  }
  return reportSite(deps.db, installation.siteId, endpoint, {
    maxBatches: 2,
    leaseMs: 10_000,
    ...deps.report,
    ...(deps.deadline && { deadline: new Date(Date.now() + deps.deadline.remainingMs() - REQUEST_TIMEOUT_MS) }),
  });
}
