/**
 * The site store: which Site (the partition key of all app data, prisma/README.md "Sites") a verified Forge
 * installation reaches, and the Forge installations' lifecycle. The only code that writes Site and
 * ForgeInstallation rows.
 *
 * Resolution of a verified FIT (installationId I, cloudId C), in this order (CONTRACT-forge.md):
 *   1. a ForgeInstallation I → its site;
 *   2. a Site whose cloudId is C (a Forge reinstall: a new I on the same site) → that site;
 *   3. else a new Site with cloudId C.
 * A Site's cloudId, once set, never changes: a mismatch is refused (409 CONFLICT), never merged silently.
 *
 * Joining the Connect tenant's site (`joinConnectTenant`): a Connect tenant names its Forge installation
 * (`Tenant.installationId`) in its `installed` body, which Atlassian does not sign (the install token's qsh
 * covers the method and path only). So the body alone never moves data: the join is decided during a Forge
 * invocation, when Atlassian itself can be asked which Connect installation this Forge installation belongs to
 * (the reserved app property that returns the Connect clientKey, ./pairing.ts), and only when
 *   - some tenant claims the installation (the claim only triggers the question: it is unsigned, so it is
 *     not exclusive of the real tenant: an install naming an installationId another tenant holds is stored
 *     without the link, and the join goes to the tenant Atlassian names, which then takes the link),
 *   - Atlassian answers with the clientKey of an installed tenant,
 *   - that tenant's baseUrl and the installation's site URL (both known) name one site, and
 *   - the two sites' cloudIds agree.
 * Otherwise the two sites stay apart, the reason is logged (`site_join_deferred` / `site_join_refused`), and the
 * join is tried again on a later invocation. Joining moves the Forge installation's site (its notes,
 * deliveries and installations) into the tenant's, in one transaction, and deletes the emptied site: never the
 * other way round, the Connect site holds the data of the app's history.
 *
 * A merge loses nothing (`mergeSites`): it first locks the old Site row (PostgreSQL `FOR UPDATE`, which waits
 * for every transaction that inserted a note or delivery under it, since their foreign-key checks hold `FOR KEY
 * SHARE` on it, and makes every later one wait; SQLite: the database's write lock), moves the rows with
 * set-based statements, and deletes the site. Notes and deliveries reference their site ON DELETE RESTRICT, so
 * a row that slipped past would fail the merge instead of being deleted with it. A writer that still holds
 * the old siteId (resolved before the merge, on any instance) then fails its foreign key: lib/http/responses.ts
 * answers 503 SITE_MOVED with Retry-After, and the retry resolves the merged site.
 *
 * Concurrency: every step that creates rests on a unique key (ForgeInstallation.installationId,
 * Site.cloudId), and a unique violation means a concurrent request won the race: the resolution runs again
 * and finds its row. Two first-time FITs for one installation therefore end on one site, on any number of
 * instances. This store caches nothing but Atlassian's pairing answers (10 min per instance, to spare its
 * API); `siteStore()` serves repeated FITs of an installed installation from ./resolution-cache.ts for at most
 * 10 s, and drops them whenever a site moves (./moved.ts).
 */
import { randomUUID } from 'node:crypto';
import { LruCache } from '../cache';
import { ConnectError } from '../connect/errors';
import { dialectOfDb, getDb, isUniqueConstraintError, type Db, type Tx } from '../db/client';
import { checkIat } from '../db/lifecycle-iat';
import type { ForgeInstallation as ForgeInstallationRow } from '../db/generated/sqlite/client';
import { log } from '../log';
import { withResolutionCache } from './resolution-cache';
import { siteMoved } from './moved';

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

/**
 * Asks Atlassian which Connect installation (clientKey) the invoking Forge installation belongs to
 * (./pairing.ts). `null`: Atlassian names none; `undefined`: it could not be asked now (no system token,
 * the API failed). Only an answer equal to the tenant's clientKey lets a join happen.
 */
export type ConfirmPairing = () => Promise<string | null | undefined>;

export interface ResolveOptions {
  /** Return an uninstalled installation instead of refusing it (events about it are then ignored). */
  allowUninstalled?: boolean;
  /** Confirms a join with a Connect tenant; without it, no join is made during this resolution. */
  confirmPairing?: ConfirmPairing;
}

export interface SiteStore {
  /**
   * The installation of a verified FIT, created (with its site) on first sight, and joined to its Connect
   * tenant's site once that is confirmed. Throws CONFLICT when the claims contradict what is stored,
   * TENANT_UNINSTALLED for an installation that was uninstalled.
   */
  resolveForgeInstallation(claims: ForgeSiteClaims, opts?: ResolveOptions): Promise<ForgeInstallation>;
  /**
   * Records `avi:forge:installed:app` / `avi:forge:upgraded:app`. Idempotent; an event older (`iat`) than the
   * newest applied one, or about an uninstalled installation, changes nothing. Returns whether it applied.
   */
  recordLifecycle(claims: ForgeSiteClaims, event: ForgeLifecycleEvent, opts: { iat: number; at?: Date; confirmPairing?: ConfirmPairing }): Promise<boolean>;
  /** Records the `preUninstall` of an installation; false when unknown, already uninstalled, or stale. */
  markUninstalled(installationId: string, opts: { iat: number; at?: Date }): Promise<boolean>;
  /**
   * Inside the transaction of a signed Connect `installed` that carries `installationId` (lib/tenants/store.ts
   * `saveInstall`), before the tenant is written: refuses (CONFLICT) an installationId whose Forge installation
   * names another site (URL or cloudId). Resolves whether the tenant may hold the link: false when another
   * tenant holds it (the install is then stored without it, never refused: the claim is unsigned, and the first
   * to make it must not keep the real tenant out). Moves no data: the join waits for Atlassian's word (see above).
   */
  assertLinkable(tx: Tx, install: { clientKey: string; baseUrl: string; installationId: string }): Promise<boolean>;
}

/**
 * How long an instance remembers Atlassian's answer to "which Connect clientKey is this Forge installation's?"
 * (a clientKey, or none), so a tenant claiming someone else's installation cannot make every one of that
 * installation's requests call Atlassian. The answer is Atlassian's, about one installation, whoever claims it:
 * a tenant installed later is matched against it at once. Only saves calls: the next instance (or the next 10
 * minutes) asks again.
 */
const PAIRING_ANSWER_TTL_MS = 10 * 60_000;

/** What a join reads of a tenant. */
const TENANT_FOR_JOIN = { clientKey: true, siteId: true, baseUrl: true, state: true, site: { select: { cloudId: true } } } as const;

/** Attempts before a resolution that keeps losing races gives up (each loss means another request won). */
const ATTEMPTS = 5;

/**
 * @example const sites = createSiteStore(getDb()); const { siteId } = await sites.resolveForgeInstallation(claims);
 */
export function createSiteStore(db: Db): SiteStore {
  const pairingAnswers = new LruCache<{ clientKey: string | null }>({ max: 1000, ttlMs: PAIRING_ANSWER_TTL_MS });
  /** Step 2–3: the site a new installation belongs to. May create a Site. */
  async function siteForNewInstallation(claims: ForgeSiteClaims): Promise<string> {
    const byCloud = await db.site.findUnique({ where: { cloudId: claims.cloudId }, select: { id: true } });
    if (byCloud) return byCloud.id;
    const created = await db.site.create({ data: { id: randomUUID(), cloudId: claims.cloudId }, select: { id: true } });
    log.info('site_created', { siteId: created.id, cloudId: claims.cloudId });
    return created.id;
  }

  /**
   * Moves everything of site `fromId` into `intoId` and deletes `fromId`, inside `tx`. A delivery both sites
   * recorded (the same event through two doors) is kept once. A no-op when `fromId` is already gone.
   * Set-based: no ids are read into memory, whatever the site holds.
   */
  async function mergeSites(tx: Tx, fromId: string, intoId: string): Promise<void> {
    // First: waits for every in-flight insert under `fromId` to commit (they hold FOR KEY SHARE on the row)
    // and makes later ones wait, then fail their foreign key once the row is gone: nothing lands after the move.
    if (dialectOfDb(db) === 'postgresql') await tx.$queryRaw`SELECT "id" FROM "Site" WHERE "id" = ${fromId} FOR UPDATE`;
    // SQLite has one writer: a write takes the database's lock at once (a key column is not touched, so no
    // ON UPDATE CASCADE runs).
    else await tx.$executeRaw`UPDATE "Site" SET "createdAt" = "createdAt" WHERE "id" = ${fromId}`;
    const [from, into] = await Promise.all([tx.site.findUnique({ where: { id: fromId } }), tx.site.findUnique({ where: { id: intoId } })]);
    if (!from || !into) return;
    if (from.cloudId && into.cloudId && from.cloudId !== into.cloudId) throw cloudConflict();
    const duplicates = await tx.$executeRaw`DELETE FROM "WebhookDelivery" WHERE "siteId" = ${fromId} AND "webhookId" IN (SELECT "webhookId" FROM "WebhookDelivery" WHERE "siteId" = ${intoId})`;
    const deliveries = await tx.webhookDelivery.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
    const notes = await tx.note.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
    await tx.forgeInstallation.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
    await tx.tenant.updateMany({ where: { siteId: fromId }, data: { siteId: intoId } });
    // RESTRICT: fails (and rolls everything back) if anything still references the old site.
    await tx.site.delete({ where: { id: fromId } });
    if (from.cloudId && !into.cloudId) await tx.site.update({ where: { id: intoId }, data: { cloudId: from.cloudId } });
    log.info('sites_merged', { from: fromId, into: intoId, notes: notes.count, deliveries: deliveries.count, duplicateDeliveries: duplicates });
  }

  /**
   * Joins `installation`'s site to the site of the Connect tenant that names it, when every condition in the
   * header holds; otherwise leaves both apart and says why. Returns the installation as it is afterwards.
   */
  async function joinConnectTenant(installation: ForgeInstallation, claims: ForgeSiteClaims, confirm: ConfirmPairing | undefined): Promise<ForgeInstallation> {
    const { installationId } = installation;
    // The claim (unsigned) only says that a join may be due, so that Atlassian is asked about the installations
    // some tenant names and no others; Atlassian's answer picks the tenant.
    // An uninstalled holder still asks: a false claimant that uninstalls must not leave the real tenant unjoined.
    const holder = await db.tenant.findUnique({ where: { installationId }, select: TENANT_FOR_JOIN });
    if (!holder || holder.siteId === installation.siteId) return installation;
    const siteUrl = claims.siteUrl ?? installation.siteUrl ?? undefined;
    if (!siteUrl) {
      log.info('site_join_deferred', { installationId, clientKey: holder.clientKey, reason: 'no_site_url' });
      return installation;
    }
    let answer = pairingAnswers.get(installationId)?.clientKey;
    if (answer === undefined) {
      answer = confirm ? await confirm() : undefined;
      if (answer === undefined) {
        log.info('site_join_deferred', { installationId, clientKey: holder.clientKey, reason: 'pairing_not_confirmable' });
        return installation;
      }
      pairingAnswers.set(installationId, { clientKey: answer });
    }
    // The tenant Atlassian names: usually the holder; another one when the holder's claim was false (a tenant
    // that named someone else's installation first, which then cannot keep the real one from its join).
    const paired = answer === holder.clientKey ? holder : answer === null ? null : await db.tenant.findUnique({ where: { clientKey: answer }, select: TENANT_FOR_JOIN });
    if (!paired || paired.state === 'uninstalled') {
      log.warn('site_join_refused', { installationId, clientKey: holder.clientKey, reason: 'pairing_not_confirmed' });
      return installation;
    }
    const fields = { installationId, clientKey: paired.clientKey };
    if (paired.siteId === installation.siteId) return installation;
    if (!sameSite(paired.baseUrl, siteUrl) || (paired.site.cloudId && paired.site.cloudId !== installation.cloudId)) {
      log.warn('site_join_refused', { ...fields, reason: 'different_site' });
      return installation;
    }
    await db.$transaction(async (tx) => {
      if (paired.clientKey !== holder.clientKey) {
        // The false claim is dropped and the link given to the tenant Atlassian named (the unique key allows one).
        await tx.tenant.updateMany({ where: { clientKey: holder.clientKey, installationId }, data: { installationId: null } });
        await tx.tenant.update({ where: { clientKey: paired.clientKey }, data: { installationId } });
        log.warn('installation_claim_moved', { installationId, from: holder.clientKey, to: paired.clientKey });
      }
      await mergeSites(tx, installation.siteId, paired.siteId);
    });
    siteMoved();
    log.info('site_joined', { ...fields, siteId: paired.siteId });
    return (await db.forgeInstallation.findUnique({ where: { installationId } })) ?? installation;
  }

  async function resolveForgeInstallation(claims: ForgeSiteClaims, { allowUninstalled = false, confirmPairing }: ResolveOptions = {}): Promise<ForgeInstallation> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const existing = await db.forgeInstallation.findUnique({ where: { installationId: claims.installationId } });
      if (existing) {
        // Signed claims about one installation never change its site: a different cloudId is a token minted
        // for something else, and is refused rather than followed.
        if (existing.cloudId !== claims.cloudId) throw cloudConflict();
        if (existing.state === 'uninstalled') {
          if (!allowUninstalled) throw new ConnectError('TENANT_UNINSTALLED', 'This Forge installation was uninstalled.');
          return existing;
        }
        // The site URL is learnt from the first FIT that carries one (backend invocations carry none).
        if (!existing.siteUrl && claims.siteUrl) {
          await db.forgeInstallation.updateMany({ where: { installationId: claims.installationId, siteUrl: null }, data: { siteUrl: claims.siteUrl } });
        }
        return joinConnectTenant(existing, claims, confirmPairing);
      }
      try {
        const siteId = await siteForNewInstallation(claims);
        const created = await db.forgeInstallation.create({
          data: { ...fields(claims), siteUrl: claims.siteUrl ?? null, siteId, state: 'installed', installedAt: new Date() },
        });
        log.info('forge_installation_recorded', { installationId: claims.installationId, siteId, cloudId: claims.cloudId });
        return joinConnectTenant(created, claims, confirmPairing);
      } catch (err) {
        // A concurrent request created the installation or the site first: resolve again.
        if (!isUniqueConstraintError(err)) throw err;
      }
    }
    throw new Error('Forge site resolution kept losing races; try again.');
  }

  return {
    resolveForgeInstallation,

    async assertLinkable(tx, { clientKey, baseUrl, installationId }) {
      const installation = await tx.forgeInstallation.findUnique({ where: { installationId }, select: { siteUrl: true, cloudId: true } });
      if (installation?.siteUrl && !sameSite(baseUrl, installation.siteUrl)) {
        throw new ConnectError('CONFLICT', 'The Forge installation and the Connect installation name different sites.');
      }
      if (installation) {
        const tenant = await tx.tenant.findUnique({ where: { clientKey }, select: { site: { select: { cloudId: true } } } });
        if (tenant?.site.cloudId && tenant.site.cloudId !== installation.cloudId) throw cloudConflict();
      }
      const holder = await tx.tenant.findUnique({ where: { installationId }, select: { clientKey: true } });
      if (!holder || holder.clientKey === clientKey) return true;
      // Not a refusal of the install: the claim is unsigned, so whoever makes it first must not keep the real
      // installation's tenant out (its new secret unstored, every later request refused). The install is stored
      // without the link; the join goes to the tenant Atlassian names (joinConnectTenant).
      log.warn('installation_claim_held', { installationId, clientKey, holder: holder.clientKey });
      return false;
    },

    async recordLifecycle(claims, event, { iat, at = new Date(), confirmPairing }) {
      checkIat(iat);
      const installation = await resolveForgeInstallation(claims, { allowUninstalled: true, confirmPairing });
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
  };
}

/** The stored fields a FIT's claims set. A claim that is absent keeps what is stored (a backend event names no site URL). */
function fields(claims: ForgeSiteClaims) {
  return {
    installationId: claims.installationId,
    cloudId: claims.cloudId,
    ...(claims.siteUrl ? { siteUrl: claims.siteUrl } : {}),
    ...(claims.environmentType ? { environmentType: claims.environmentType } : {}),
    ...(claims.environmentId ? { environmentId: claims.environmentId } : {}),
    ...(claims.appVersion ? { appVersion: claims.appVersion } : {}),
  };
}

/**
 * A Connect tenant and a Forge installation are one site only if they name the same site: the tenant's
 * `baseUrl` (Confluence's `/wiki` aside) and the FIT's `context.siteUrl` share their origin. Both must be known:
 * a missing URL decides nothing.
 */
function sameSite(baseUrl: string, siteUrl: string): boolean {
  const origin = originOf(baseUrl);
  return origin !== undefined && origin === originOf(siteUrl);
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
