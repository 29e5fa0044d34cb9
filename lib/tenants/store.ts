/**
 * The tenant store: the only code that reads or writes tenants in the database. Callers get `Tenant` values
 * with the shared secret decrypted; the database only ever sees it sealed (lib/crypto/secret-box.ts, bound to
 * the tenant's `clientKey`).
 *
 * Several instances (serverless, replicas) share one database, so:
 * - Reads for request authentication are served from a small in-process cache (./cache.ts): every signed
 *   request looks its tenant up. Another instance's write shows here when the entry expires (10 s by
 *   default), except a rotated secret, which shows at once: a signature that fails re-reads the tenant.
 * - Lifecycle writes go through one helper, `lifecycleWrite`: one transaction that locks the installation
 *   (and, for an install, its baseUrl) across instances, reads the committed row, refuses a stale event and
 *   only then writes. So two instances cannot interleave an install and an uninstall, and two installations
 *   cannot both claim one site. Nothing there reads the cache, or needs to decrypt the old secret.
 *
 * `createTenantStore(db, keys)` builds a store over any database (tests use their own); `tenantStore()` at the
 * bottom uses the app's database and keys from configuration.
 */
import { ConnectError } from '../connect/errors';
import { normalizeBaseUrl } from '../connect/hosts';
import { getConfig } from '../config';
import { keyRingOf, open, seal, type KeyRing } from '../crypto/secret-box';
import { dialectOfDb, getDb, isUniqueConstraintError, type Db, type TenantRow, type Tx } from '../db/client';
import { checkIat } from '../db/lifecycle-iat';
import { onSiteMoved } from '../sites/moved';
import { TenantCache, type TenantCacheOptions } from './cache';
import { reencryptSecrets, type RotationReport } from './rotation';
import type { InstallPayload, Tenant, TenantRecord, TenantState } from './types';

/** What request authentication needs (lib/http/authenticate.ts). */
export interface TenantReader {
  /** The tenant with this `clientKey`, or null. Cached. */
  getTenant(clientKey: string): Promise<Tenant | null>;
  /**
   * The tenant as committed now, bypassing the cache; `undefined` if it was re-read less than a second ago
   * (so a stream of forged signatures costs at most one query per tenant per second per instance).
   */
  refreshTenant(clientKey: string): Promise<Tenant | null | undefined>;
}

export interface TenantStore extends TenantReader {
  /**
   * The tenant as committed now, without its secret (never decrypted: a row whose key was lost still reads).
   * For lifecycle decisions, which must not act on a cached state.
   */
  getRecord(clientKey: string): Promise<TenantRecord | null>;
  /**
   * Records an `installed` lifecycle event: creates the tenant, or updates it on a reinstall (new shared
   * secret, state `installed`, `uninstalledAt` cleared; `installedAt` keeps the first install's time).
   * The old secret is never read, so a row sealed with a lost key is repaired by a genuine reinstall.
   * @throws ConnectError STALE_LIFECYCLE if a lifecycle event with a later `iat` was already applied.
   * @throws ConnectError CONFLICT if another installation that is not uninstalled holds this baseUrl
   *   (scheme and host compared case-insensitively, trailing slash ignored: `normalizeBaseUrl`), or, when no
   *   `beforeWrite` checked it, another tenant holds its installationId (the unique key).
   * @throws ConnectError REPLAYED_INSTALL if an `installed` with this `iat` or a later one was already applied.
   */
  saveInstall(payload: InstallPayload, opts: InstallOptions): Promise<Tenant>;
  /** Records an `enabled` event. Null if there is no such tenant. @throws ConnectError STALE_LIFECYCLE */
  markEnabled(clientKey: string, opts?: LifecycleOptions): Promise<Tenant | null>;
  /** Records a `disabled` event. Null if there is no such tenant. @throws ConnectError STALE_LIFECYCLE */
  markDisabled(clientKey: string, opts?: LifecycleOptions): Promise<Tenant | null>;
  /**
   * Records an `uninstalled` event. The row and its shared secret stay: Atlassian may send a signed
   * reinstall, and the app's data for the site is kept until deleted deliberately. Returns the record
   * without its secret, which is never decrypted here: a tenant whose key was lost still uninstalls.
   * Null if there is no such tenant. @throws ConnectError STALE_LIFECYCLE
   */
  markUninstalled(clientKey: string, opts?: LifecycleOptions): Promise<TenantRecord | null>;
  /**
   * Re-encrypts every shared secret not sealed with the current key (./rotation.ts), reporting the rows no
   * key opens instead of stopping at them. Safe to re-run.
   */
  reencryptSecrets(): Promise<RotationReport>;
}

export interface LifecycleOptions {
  /** `iat` (seconds) of the signed lifecycle request; an event older than the newest applied one is refused. */
  iat?: number;
  /** When the event happened; default now. */
  at?: Date;
}

export interface InstallOptions extends LifecycleOptions {
  iat: number;
  /**
   * Runs in the install's transaction, under its locks, before the tenant is written; what it throws refuses
   * the install and nothing is stored (the Connect↔Forge link checks, lib/connect/lifecycle.ts). Resolving
   * false stores the install without its `installationId` (another tenant holds it).
   */
  beforeWrite?: (tx: Tx) => Promise<boolean | void>;
}

export interface TenantStoreOptions {
  /**
   * Clear the cache when a site is joined into another (lib/sites/moved.ts): a cached tenant may name the old
   * siteId. The app's store does; stores made for tests opt in.
   */
  forgetOnSiteMoved?: boolean;
  /** Cache size, lifetime and re-read interval (./cache.ts). `max: 0` disables the cache. */
  cache?: Omit<TenantCacheOptions, 'now'>;
  /** Clock for the cache, for tests. */
  now?: () => number;
}

const STATES: readonly TenantState[] = ['installed', 'enabled', 'disabled', 'uninstalled'];

/**
 * A tenant store over `db`, sealing secrets with `keys`.
 *
 * @example const store = createTenantStore(createDb('file:/tmp/t.db'), keyRingOf(parseConfig({})));
 */
export function createTenantStore(db: Db, keys: KeyRing, options: TenantStoreOptions = {}): TenantStore {
  const cache = new TenantCache({ ...options.cache, now: options.now });
  if (options.forgetOnSiteMoved) onSiteMoved(() => cache.clear());
  const dialect = dialectOfDb(db);

  const toTenant = (row: TenantRow): Tenant => ({ ...toRecord(row), sharedSecret: open(row.sharedSecret, row.clientKey, keys) });
  const read = async (clientKey: string) => {
    const row = await db.tenant.findUnique({ where: { clientKey } });
    return row && toTenant(row);
  };

  /**
   * The one conditional write: in a transaction, lock the installation (and any other `locks`) across
   * instances, read its committed row, refuse an event older than the newest applied one, then `write`.
   * The lock makes the read and the write one step, so no retry loop is needed.
   */
  async function lifecycleWrite(
    clientKey: string,
    iat: number | undefined,
    write: (tx: Tx, current: TenantRow | null) => Promise<TenantRow | null>,
    locks: string[] = [],
  ): Promise<TenantRow | null> {
    if (iat !== undefined) checkIat(iat);
    const row = await db.$transaction(async (tx) => {
      await lock(tx, dialect, [`tenant:${clientKey}`, ...locks]);
      const current = await tx.tenant.findUnique({ where: { clientKey } });
      if (current && isStale(current.lastLifecycleIat, iat)) throw stale();
      return write(tx, current);
    });
    if (row) cache.written(clientKey);
    return row;
  }

  function transition(clientKey: string, state: TenantState, { iat, at = new Date() }: LifecycleOptions): Promise<TenantRow | null> {
    return lifecycleWrite(clientKey, iat, async (tx, current) => {
      if (!current) return null;
      const data = { state, ...atFields(state, at), ...(iat !== undefined ? { lastLifecycleIat: iat } : {}) };
      return tx.tenant.update({ where: { clientKey }, data });
    });
  }

  return {
    getTenant: (clientKey) => cache.read(clientKey, () => read(clientKey)),
    refreshTenant: (clientKey) => cache.refresh(clientKey, () => read(clientKey)),

    async getRecord(clientKey) {
      const row = await db.tenant.findUnique({ where: { clientKey } });
      return row && toRecord(row);
    },

    async saveInstall(payload, { iat, at = new Date(), beforeWrite }) {
      checkIat(iat);
      const baseUrl = normalizeBaseUrl(payload.baseUrl);
      if (!baseUrl) throw new ConnectError('BAD_REQUEST', 'The install payload has an invalid baseUrl.');
      const fields = {
        key: payload.key,
        baseUrl,
        displayUrl: payload.displayUrl ?? null,
        productType: payload.productType,
        description: payload.description,
        sharedSecret: seal(payload.sharedSecret, payload.clientKey, keys),
        oauthClientId: payload.oauthClientId ?? null,
        serverVersion: payload.serverVersion ?? null,
        pluginsVersion: payload.pluginsVersion ?? null,
        state: 'installed',
        uninstalledAt: null,
        lastLifecycleIat: iat,
        lastInstallIat: iat,
        // Kept when absent: `installed` may come again without it, and the link stays.
        ...(payload.installationId ? { installationId: payload.installationId } : {}),
      };
      const where = { clientKey: payload.clientKey };
      // The installationId's lock too: two installs claiming one installationId are serialised, and the
      // second sees the first's claim (stored without the link) instead of failing on the unique key.
      const locks = [`baseUrl:${baseUrl}`, ...(payload.installationId ? [`installation:${payload.installationId}`] : [])];
      try {
        const saved = await lifecycleWrite(payload.clientKey, iat, async (tx, current) => {
          // The install token's qsh does not cover the body: a replay of a token already applied (same `iat`)
          // could carry any body. Atlassian issues a new token, with a later iat, for every install.
          if (current?.lastInstallIat != null && current.lastInstallIat >= iat) throw replayed();
          // One live installation per site: checked under the baseUrl's lock, so a concurrent install for the
          // same site on another instance waits here and then sees this one.
          const holder = await tx.tenant.findFirst({ where: { baseUrl, clientKey: { not: payload.clientKey }, state: { not: 'uninstalled' } }, select: { clientKey: true } });
          if (holder) throw new ConnectError('CONFLICT', 'Another installation holds this baseUrl.');
          // The link's checks (lib/sites/store.ts `assertLinkable`), in this transaction: a refusal stores nothing;
          // an installationId another tenant holds is left with it.
          const { installationId: _claim, ...unlinked } = fields;
          const data = (await beforeWrite?.(tx)) === false ? unlinked : fields;
          if (current) return tx.tenant.update({ where, data });
          // A first install starts the site's data partition: a Site with the clientKey as its id (lib/sites/).
          const site = { connectOrCreate: { where: { id: payload.clientKey }, create: { id: payload.clientKey } } };
          return tx.tenant.create({ data: { ...where, ...data, site, installedAt: at } });
        }, locks);
        return toTenant(saved!);
      } catch (err) {
        // SQLite, or a check that did not run: the unique installationId is held by another tenant.
        if (isUniqueConstraintError(err) && payload.installationId) throw new ConnectError('CONFLICT', 'Another installation holds this installationId.');
        throw err;
      }
    },

    markEnabled: async (clientKey, opts = {}) => nullOr(await transition(clientKey, 'enabled', opts), toTenant),
    markDisabled: async (clientKey, opts = {}) => nullOr(await transition(clientKey, 'disabled', opts), toTenant),
    markUninstalled: async (clientKey, opts = {}) => nullOr(await transition(clientKey, 'uninstalled', opts), toRecord),

    async reencryptSecrets() {
      try {
        return await reencryptSecrets(db, keys);
      } finally {
        cache.clear();
      }
    },
  };
}

/** Lock class of the store's PostgreSQL advisory locks ("cnxt"), apart from Prisma Migrate's single-key lock. */
const LOCK_CLASS = 0x636e7874;

/**
 * Serialises the transaction `tx` with every other one locking any of `names`, until it ends, across
 * processes. PostgreSQL: transaction-scoped advisory locks, taken in sorted order so two transactions cannot
 * deadlock. SQLite has one writer at a time: a write now takes the database's write lock at the start of
 * the transaction (waiting up to the busy timeout), instead of failing when a read would turn into a write.
 */
async function lock(tx: Tx, dialect: 'sqlite' | 'postgresql', names: string[]): Promise<void> {
  if (dialect === 'sqlite') {
    await tx.$executeRaw`UPDATE "Tenant" SET "clientKey" = "clientKey" WHERE 0`;
    return;
  }
  for (const name of [...new Set(names)].sort()) await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_CLASS}::int4, hashtext(${name}))`;
}

function nullOr<T>(row: TenantRow | null, convert: (row: TenantRow) => T): T | null {
  return row && convert(row);
}

function toRecord(row: TenantRow): TenantRecord {
  if (!STATES.includes(row.state as TenantState)) throw new Error(`Tenant ${row.clientKey} has an unknown state.`);
  const { sharedSecret: _sealed, ...rest } = row;
  return { ...rest, state: row.state as TenantState };
}

function atFields(state: TenantState, at: Date): Partial<TenantRow> {
  if (state === 'enabled') return { enabledAt: at };
  if (state === 'disabled') return { disabledAt: at };
  if (state === 'uninstalled') return { uninstalledAt: at };
  return {};
}

// Atlassian's `iat` has one-second resolution and `enabled` often follows `installed` within the same second,
// so an event is stale only if it is strictly older than the newest applied one.
function isStale(lastLifecycleIat: number | null, iat: number | undefined): boolean {
  return iat !== undefined && lastLifecycleIat !== null && lastLifecycleIat > iat;
}

function replayed(): ConnectError {
  return new ConnectError('REPLAYED_INSTALL', 'This install token was already used; Atlassian signs every install anew.');
}

function stale(): ConnectError {
  return new ConnectError('STALE_LIFECYCLE', 'A newer lifecycle event for this installation was already applied.');
}

// On globalThis, not in a module variable: Next may bundle route handlers apart from one another, and all
// must share one cache, so that a lifecycle callback invalidates what the iframe pages verify page loads with.
const globalForStore = globalThis as typeof globalThis & { __connectNextTenantStore?: TenantStore };

/** The app's tenant store: `getDb()` and the keys from `getConfig()`, created on first use. */
export function tenantStore(): TenantStore {
  globalForStore.__connectNextTenantStore ??= createTenantStore(getDb(), keyRingOf(getConfig()), { forgetOnSiteMoved: true });
  return globalForStore.__connectNextTenantStore;
}
