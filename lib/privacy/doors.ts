/**
 * Where each door sends the personal data report, and as whom.
 *
 *   Connect  POST {baseUrl}/rest/atlassian-connect/latest/report-accounts, signed as the app: a JWT with the
 *            tenant's shared secret and the request's qsh (lib/connect/host-client.ts). Any time: the secret
 *            is stored.
 *   Forge    POST https://api.atlassian.com/app/report-accounts/ with the app system token
 *            (`x-forge-oauth-system`) and scope `report:personal-data`. Only while Forge invokes the remote
 *            with that token: a background job outside an invocation has no Forge credential at all, so the
 *            Forge door reports from its scheduled trigger (./forge-trigger.ts).
 *
 * Neither path is in a reference client we can run: the Connect path is the one public implementations use
 * (Atlassian's guide says to call the API "using JWTs"); the Forge one is the 3LO endpoint `@forge/api`'s
 * `privacy.reportPersonalData` calls as the app (`/app/report-accounts`, 90 a call). README "Going to
 * Marketplace" says what was and was not confirmed.
 */
import { hostClient, type HostClientOptions, type HostClientTenant } from '../connect/host-client';
import { forgePlatformClient, type ForgeProductClientOptions } from '../forge/product-client';
import type { ForgeRemoteRequest } from '../forge/invocation-token';
import type { ReportEndpoint } from './report-accounts';

export const CONNECT_REPORT_PATH = '/rest/atlassian-connect/latest/report-accounts';
export const FORGE_REPORT_PATH = '/app/report-accounts/';

/** @example const endpoint = connectReportEndpoint(tenant); */
export function connectReportEndpoint(tenant: HostClientTenant, options: HostClientOptions = {}): ReportEndpoint {
  return { door: 'connect', client: hostClient(tenant, options).asApp(), path: CONNECT_REPORT_PATH, timeoutMs: options.timeoutMs };
}

/** Throws APP_TOKEN_UNAVAILABLE when the invocation carries no system token. @example forgeReportEndpoint(forge) */
export function forgeReportEndpoint(forge: ForgeRemoteRequest, options: ForgeProductClientOptions = {}): ReportEndpoint {
  return { door: 'forge', client: forgePlatformClient(forge, options), path: FORGE_REPORT_PATH, timeoutMs: options.timeoutMs };
}
