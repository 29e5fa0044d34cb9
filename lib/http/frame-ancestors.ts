/**
 * Who may frame the app's iframe pages (CSP `frame-ancestors`). A verified page is framed only by the
 * tenant's own site (its baseUrl, and its displayUrl for custom domains), so a page load token lifted from
 * one site cannot be replayed inside an attacker's page. Refusal pages, which carry no data, may be framed
 * by any allowed product host so the user sees why the app failed.
 */
import { isLoopbackHost } from '../connect/hosts';
import type { Tenant } from '../tenants/types';

export function tenantFrameAncestors(tenant: Pick<Tenant, 'baseUrl' | 'displayUrl'>): string {
  const origins = new Set([new URL(tenant.baseUrl).origin]);
  if (tenant.displayUrl) origins.add(new URL(tenant.displayUrl).origin);
  return [...origins].join(' ');
}

/** CSP sources for host patterns from CONNECT_ALLOWED_HOSTS: https for product hosts, any port on loopback. */
export function allowedFrameAncestors(allowedHosts: string[]): string {
  return allowedHosts
    .map((host) => (isLoopbackHost(host) ? `http://${host}:*` : `https://${host}`))
    .join(' ');
}
