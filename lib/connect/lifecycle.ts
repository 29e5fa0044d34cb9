/**
 * The lifecycle callbacks and the install policy (SECURITY.md, "Install policy"). Every check runs
 * before anything is written, so a rejected callback changes nothing.
 *
 * Lifecycle tokens live for minutes, so a captured one could be replayed, e.g. an `installed` after the
 * site uninstalled the app. The store refuses any event issued before the newest one it applied
 * (STALE_LIFECYCLE), an `installed` whose token is not newer than the last install applied (REPLAYED_INSTALL:
 * the token does not cover the body, so a replay could carry any body), and an install for a site another
 * live installation holds, or naming a Forge installation of another site (CONFLICT), atomically with the
 * write and across instances (lib/tenants/store.ts). An installationId another tenant already holds is not a
 * refusal: the install is stored without the link (lib/sites/store.ts `assertLinkable`).
 */
import { ConnectError } from './errors';
import { verifyInstallToken, type InstallKeyResolver } from './install-token';
import { verifyConnectRequest } from './jwt';
import { LIFECYCLE_BODY_LIMIT, parseLifecyclePayload, type LifecycleEvent } from './lifecycle-payload';
import type { Tx } from '../db/client';
import { readJsonBody } from '../http/body';
import { log } from '../log';
import type { SiteStore } from '../sites/store';
import type { InstallOptions } from '../tenants/store';
import type { InstallPayload, Tenant, TenantRecord } from '../tenants/types';

/** The tenant-store verbs the lifecycle needs. */
export interface LifecycleStore {
  getTenant(clientKey: string): Promise<Tenant | null>;
  refreshTenant?(clientKey: string): Promise<Tenant | null | undefined>;
  /** Committed state, never a cache: lifecycle decisions must not act on what another instance changed. */
  getRecord(clientKey: string): Promise<TenantRecord | null>;
  /** Also refuses (CONFLICT) a baseUrl held by another live installation, atomically with the write. */
  saveInstall(payload: InstallPayload, opts: InstallOptions): Promise<unknown>;
  markEnabled(clientKey: string, opts: { iat: number }): Promise<unknown>;
  markDisabled(clientKey: string, opts: { iat: number }): Promise<unknown>;
  markUninstalled(clientKey: string, opts: { iat: number }): Promise<unknown>;
}

export interface LifecycleDeps {
  store: LifecycleStore;
  appBaseUrl: string;
  appKey: string;
  allowedHosts: string[];
  resolveInstallKey: InstallKeyResolver;
  /** Checks the link of a Connect installation to its Forge installation (lib/sites/). Without it, nothing is checked. */
  sites?: Pick<SiteStore, 'assertLinkable'>;
  now?: Date;
}

/** Verifies and applies one lifecycle callback. Resolves when it was applied (or was a no-op). */
export async function handleLifecycle(event: LifecycleEvent, request: Request, deps: LifecycleDeps): Promise<void> {
  if (event === 'installed' || event === 'uninstalled') return handleSigned(event, request, deps);
  return handleEnablement(event, request, deps);
}

async function handleSigned(event: 'installed' | 'uninstalled', request: Request, deps: LifecycleDeps): Promise<void> {
  const token = await verifyInstallToken(request, { appBaseUrl: deps.appBaseUrl, resolveKey: deps.resolveInstallKey, now: deps.now });
  const payload = await readPayload(event, request, deps);
  // Signed by Atlassian for one installation: its body may only speak for that installation.
  if (payload.clientKey !== token.clientKey) {
    throw new ConnectError('ISSUER_MISMATCH', 'The token was issued for another installation.');
  }
  // Read committed, without the old secret: an instance's cache may be behind, and a row whose secret no
  // key opens any more must not stop the signed reinstall that replaces it.
  const existing = await deps.store.getRecord(payload.clientKey);

  if (event === 'uninstalled') {
    // Idempotent: an unknown or already uninstalled tenant has nothing left to revoke.
    if (!existing || existing.state === 'uninstalled') return;
    await deps.store.markUninstalled(payload.clientKey, { iat: token.iat });
    log.info('tenant_uninstalled', { clientKey: payload.clientKey });
    return;
  }

  // An app registered on Forge sends its Forge installationId. The claim is checked and stored in one
  // transaction with the install (a refusal keeps the previous secret and link; an installationId another
  // tenant holds is left with it, and the install stored without it); it moves no data: the
  // Forge door joins the two sites once Atlassian confirms the pairing (lib/sites/store.ts).
  const { installationId } = payload;
  const sites = deps.sites;
  const beforeWrite = installationId && sites ? (tx: Tx) => sites.assertLinkable(tx, { clientKey: payload.clientKey, baseUrl: payload.baseUrl, installationId }) : undefined;
  await deps.store.saveInstall(payload, { iat: token.iat, beforeWrite });
  if (existing && existing.baseUrl !== payload.baseUrl) {
    log.warn('tenant_base_url_changed', { clientKey: payload.clientKey, from: existing.baseUrl, to: payload.baseUrl });
  }
  log.info(existing ? 'tenant_reinstalled' : 'tenant_installed', { clientKey: payload.clientKey, baseUrl: payload.baseUrl, productType: payload.productType, installationId: payload.installationId ?? null });
}

/** `enabled` and `disabled` carry an ordinary HS256 token signed with the shared secret we hold. */
async function handleEnablement(event: 'enabled' | 'disabled', request: Request, deps: LifecycleDeps): Promise<void> {
  const verified = await verifyConnectRequest(request, {
    mode: 'strict',
    appBaseUrl: deps.appBaseUrl,
    getTenant: (clientKey) => deps.store.getTenant(clientKey),
    refreshTenant: deps.store.refreshTenant && ((clientKey) => deps.store.refreshTenant!(clientKey)),
    allowDisabledTenant: true,
    now: deps.now,
  });
  const payload = await readPayload(event, request, deps);
  if (payload.clientKey !== verified.tenant.clientKey) {
    throw new ConnectError('ISSUER_MISMATCH', 'The token was issued for another installation.');
  }
  const iat = verified.claims.iat;
  if (event === 'enabled') await deps.store.markEnabled(payload.clientKey, { iat });
  else await deps.store.markDisabled(payload.clientKey, { iat });
  log.info(`tenant_${event}`, { clientKey: payload.clientKey });
}

async function readPayload(event: LifecycleEvent, request: Request, deps: LifecycleDeps) {
  const body = await readJsonBody(request, LIFECYCLE_BODY_LIMIT);
  return parseLifecyclePayload(body, { event, appKey: deps.appKey, allowedHosts: deps.allowedHosts });
}
