/**
 * The site store: which Site (the partition key of all app data, prisma/README.md "Sites") a verified Forge
 * installation reaches, and the Forge installations' lifecycle. The only code that writes Site and
 * ForgeInstallation rows.
 *
 * Resolution of a verified FIT (installationId I, cloudId C), in this order (CONTRACT-forge.md):
 *   1. a ForgeInstallation I → its site;
 *   2. a Connect tenant whose `installationId` is I (from Atlassian's signed `installed` payload) → its site;
 *   3. a Site whose cloudId is C (a Forge reinstall: a new I on the same site) → that site;
 *   4. else a new Site with cloudId C.
 * A Site's cloudId, once set, never changes: a mismatch is refused (409 CONFLICT), never merged silently.
 *
 * The order problem: when a site's first Forge event arrives before the Connect `installed` that carries the
 * installationId, step 4 creates a second site for one cloud. When the link arrives (`linkConnectTenant`, or
 * step 2 finding a site without a cloudId while another holds C), the newer, Forge-created site is merged
 * into the Connect tenant's site, in one transaction: its notes, deliveries and installations move, and the
 * empty site is deleted. Never the other way round: the Connect site holds the data of the app's history.
 *
 * Concurrency: every step that creates rests on a unique key (ForgeInstallation.installationId,
 * Site.cloudId), and a unique violation means a concurrent request won the race: the resolution runs again
 * and finds its row. Two first-time FITs for one installation therefore end on one site, on any number of
 * instances. This store caches nothing; `siteStore()` serves repeated FITs of an installed installation
 * from ./resolution-cache.ts for at most 10 s.
 */
import { randomUUID } from 'node:crypto';
import { ConnectError } from '../connect/errors';
import { getDb, isUniqueConstraintError, type Db } from '../db/client';
import { checkIat } from '../db/lifecycle-iat';
import type { ForgeInstallation as ForgeInstallationRow } from '../db/generated/sqlite/client';
import { log } from '../log';
import { withResolutionCache } from './resolution-cache';

/** What a verified FIT says about the installation (lib/forge/site-claims.ts builds it). */
export interface ForgeSiteClaims {
  installationId: string;
  cloudId: string;
  siteUrl?: string;
  environmentType?: string;
  environmentId?: string;
  appVersion?: string;
}

export type ForgeInstallation = ForgeInstallationRow;
export type ForgeLifecycleEvent = 'installed' | 'upgraded';

export interface SiteStore {
  /**
   * The installation of a verified FIT, created (with its site) on first sight. Throws CONFLICT when the
   * claims contradict what is stored, TENANT_UNINSTALLED for an installation that was uninstalled.
   */
  resolveForgeInstallation(claims: ForgeSiteClaims, opts?: { allowUninstalled?: boolean }): Promise<ForgeInstallation>;
  /**
   * Records `avi:forge:installed:app` / `avi:forge:upgraded:app`. Idempotent; an event older (`iat`) than the
   * newest applied one, or about an uninstalled installation, changes nothing. Returns whether it applied.
   */
  recordLifecycle(claims: ForgeSiteClaims, event: ForgeLifecycleEvent, opts: { iat: number; at?: Date }): Promise<boolean>;
  /** Records the `preUninstall` of an installation; false when unknown, already uninstalled, or stale. */
  markUninstalled(installationId: string, opts: { iat: number; at?: Date }): Promise<boolean>;
  /**
   * After a signed Connect `installed` carrying `installationId`: joins the Forge installation's site to the
   * tenant's (merging a Forge-created site into it). CONFLICT when the two cannot be one site.
   */
  linkConnectTenant(clientKey: string): Promise<void>;
  /**
   * Checks, before a signed Connect `installed` is stored, that its installationId can be linked: no other
   * tenant holds it, and a Forge installation already seen with it is on the same site (site URL, cloudId).
   * Throws CONFLICT otherwise, so a refused install stores nothing.
   */
  assertLinkable(install: { clientKey: string; baseUrl: string; installationId: string }): Promise<void>;
}

/** Attempts before a resolution that keeps losing races gives up (each loss means another request won). */
const ATTEMPTS = 5;

/**
 * @example const sites = createSiteStore(getDb()); const { siteId } = await sites.resolveForgeInstallation(claims);
 */
export function createSiteStore(db: Db): SiteStore {
  /** Step 2–4: the site a new installation belongs to. May create a Site or merge two. */
  async function siteForNewInstallation(claims: ForgeSiteClaims): Promise<string> {
    const tenant = await db.tenant.findUnique({ where: { installationId: claims.installationId }, select: { clientKey: true, siteId: true, baseUrl: true } });
    if (tenant) {
      assertSameSite(tenant.baseUrl, claims.siteUrl);
      await adoptCloudId(tenant.siteId, claims.cloudId);
      return tenant.siteId;
    }
    const byCloud = await db.site.findUnique({ where: { cloudId: claims.cloudId }, select: { id: true } });
    if (byCloud) return byCloud.id;
    const created = await db.site.create({ data: { id: randomUUID(), cloudId: claims.cloudId }, select: { id: true } });
    log.info('site_created', { siteId: created.id, cloudId: claims.cloudId });
    return created.id;
  }

  /** Gives `siteId` the cloudId C, merging a site that already holds C into it. */
  async function adoptCloudId(siteId: string, cloudId: string): Promise<void> {
    const site = await db.site.findUnique({ where: { id: siteId }, select: { cloudId: true } });
    if (!site) throw new Error(`Site ${siteId} vanished during resolution; try again.`);
    if (site.cloudId === cloudId) return;
    if (site.cloudId !== null) throw cloudConflict();
    const holder = await db.site.findUnique({ where: { cloudId }, select: { id: true } });
    if (holder) await mergeSites(holder.id, siteId);
    else await db.site.updateMany({ where: { id: siteId, cloudId: null }, data: { cloudId } });
  }

  /**
   * Moves everything of site `fromId` into `intoId` and deletes `fromId`, in one transaction. A delivery both
   * sites recorded (the same event through two doors) is kept once. A no-op when `fromId` is already gone.
   */
  async function mergeSites(fromId: string, intoId: string): Promise<void> {
    await db.$transaction(async (tx) => {
      const [from, into] = await Promise.all([
        tx.site.findUnique({ where: { id: fromId } }),
        tx.site.findUnique({ where: { id: intoId } }),
      ]);
      if (!from || !into) return;
      if (from.cloudId && into.cloudId && from.cloudId !== into.cloudId) throw cloudConflict();
      const seen = await tx.webhookDelivery.findMany({ where: { siteId: intoId }, select: { webhookId: true } });
      const dup = seen.map((d) => d.webhookId);
      if (dup.length) await tx.webhookDelivery.deleteMany({ where: { siteId: fromId, webhookId: { in: dup } } });
      await tx.webhookDelivery.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
      const notes = await tx.note.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
      await tx.forgeInstallation.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
      await tx.tenant.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
      await tx.site.deleteMany({ where: { id: fromId } });
      if (from.cloudId && !into.cloudId) await tx.site.update({ where: { id: intoId }, data: { cloudId: from.cloudId } });
      log.info('sites_merged', { from: fromId, into: intoId, notes: notes.count });
    });
  }

  async function resolveForgeInstallation(claims: ForgeSiteClaims, { allowUninstalled = false } = {}): Promise<ForgeInstallation> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const existing = await db.forgeInstallation.findUnique({ where: { installationId: claims.installationId } });
      if (existing) {
        // Signed claims about one installation never change its site: a different cloudId is a token minted
        // for something else, and is refused rather than followed.
        if (existing.cloudId !== claims.cloudId) throw cloudConflict();
        if (existing.state === 'uninstalled' && !allowUninstalled) throw new ConnectError('TENANT_UNINSTALLED', 'This Forge installation was uninstalled.');
        return existing;
      }
      try {
        const siteId = await siteForNewInstallation(claims);
        const created = await db.forgeInstallation.create({
          data: { ...fields(claims), siteId, state: 'installed', installedAt: new Date() },
        });
        log.info('forge_installation_recorded', { installationId: claims.installationId, siteId, cloudId: claims.cloudId });
        return created;
      } catch (err) {
        // A concurrent request created the installation, the site or the cloudId link first: resolve again.
        if (!isUniqueConstraintError(err)) throw err;
      }
    }
    throw new Error('Forge site resolution kept losing races; try again.');
  }

  return {
    resolveForgeInstallation,

    async assertLinkable({ clientKey, baseUrl, installationId }) {
      const holder = await db.tenant.findUnique({ where: { installationId }, select: { clientKey: true } });
      if (holder && holder.clientKey !== clientKey) throw new ConnectError('CONFLICT', 'Another installation holds this installationId.');
      const installation = await db.forgeInstallation.findUnique({ where: { installationId }, select: { siteUrl: true, cloudId: true } });
      if (!installation) return;
      assertSameSite(baseUrl, installation.siteUrl ?? undefined);
      const tenant = await db.tenant.findUnique({ where: { clientKey }, select: { site: { select: { cloudId: true } } } });
      if (tenant?.site.cloudId && tenant.site.cloudId !== installation.cloudId) throw cloudConflict();
    },

    async recordLifecycle(claims, event, { iat, at = new Date() }) {
      checkIat(iat);
      const installation = await resolveForgeInstallation(claims, { allowUninstalled: true });
      if (installation.state === 'uninstalled') return false;
      // Conditional on not having applied a newer event: a delayed retry cannot roll an upgrade back.
      const { count } = await db.forgeInstallation.updateMany({
        where: { installationId: claims.installationId, state: 'installed', OR: [{ lastLifecycleIat: null }, { lastLifecycleIat: { lte: iat } }] },
        data: { ...fields(claims), lastLifecycleIat: iat, ...(event === 'upgraded' ? { upgradedAt: at } : {}) },
      });
      return count === 1;
    },

    async markUninstalled(installationId, { iat, at = new Date() }) {
      checkIat(iat);
      const { count } = await db.forgeInstallation.updateMany({
        where: { installationId, state: 'installed', OR: [{ lastLifecycleIat: null }, { lastLifecycleIat: { lte: iat } }] },
        data: { state: 'uninstalled', uninstalledAt: at, lastLifecycleIat: iat },
      });
      return count === 1;
    },

    async linkConnectTenant(clientKey) {
      const tenant = await db.tenant.findUnique({ where: { clientKey }, select: { siteId: true, installationId: true, baseUrl: true } });
      if (!tenant?.installationId) return;
      const installation = await db.forgeInstallation.findUnique({ where: { installationId: tenant.installationId } });
      // Not seen through Forge yet: the first FIT finds the tenant (step 2) and joins its site then.
      if (!installation || installation.siteId === tenant.siteId) return;
      assertSameSite(tenant.baseUrl, installation.siteUrl ?? undefined);
      const site = await db.site.findUnique({ where: { id: tenant.siteId }, select: { cloudId: true } });
      if (site?.cloudId && site.cloudId !== installation.cloudId) throw cloudConflict();
      await mergeSites(installation.siteId, tenant.siteId);
    },
  };
}

function fields(claims: ForgeSiteClaims) {
  return {
    installationId: claims.installationId,
    cloudId: claims.cloudId,
    siteUrl: claims.siteUrl ?? null,
    environmentType: claims.environmentType ?? null,
    environmentId: claims.environmentId ?? null,
    appVersion: claims.appVersion ?? null,
  };
}

/**
 * A Connect tenant and a Forge installation are one site only if they name the same site: the tenant's
 * `baseUrl` (Confluence's `/wiki` aside) and the FIT's `context.siteUrl` must share their origin. This is
 * what stops an `installed` body naming another site's installationId (the body is not covered by the
 * install token's qsh, SECURITY.md) from joining that site's data.
 */
function assertSameSite(baseUrl: string, siteUrl: string | undefined): void {
  if (siteUrl === undefined) return;
  const origin = originOf(baseUrl);
  if (!origin || origin !== originOf(siteUrl)) {
    throw new ConnectError('CONFLICT', 'The Forge installation and the Connect installation name different sites.');
  }
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return undefined;
  }
}

function cloudConflict(): ConnectError {
  return new ConnectError('CONFLICT', 'This installation belongs to another Atlassian site (cloudId).');
}

let defaultStore: SiteStore | undefined;

/** The app's site store over `getDb()`, created on first use; FIT resolution cached (./resolution-cache.ts). */
export function siteStore(): SiteStore {
  defaultStore ??= withResolutionCache(createSiteStore(getDb()));
  return defaultStore;
}
