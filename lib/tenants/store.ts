/**
 * The tenant store: the only code that reads or writes tenants in the database. Callers get `Tenant` values
 * with the shared secret decrypted; the database only ever sees it sealed (lib/crypto/secret-box.ts, bound to
 * the tenant's `clientKey`).
 *
 * Reads of one tenant are served from a small in-process cache, because every signed request from Atlassian
 * looks its tenant up. Every write through the store updates this process's cache at once; other processes
 * (serverless instances, replicas) may keep serving a tenant they cached for up to `ttlMs` (60 s by default):
 * that is the staleness bound for, e.g., a tenant uninstalled through another instance.
 *
 * `createTenantStore(db, keys)` builds a store over any database (tests use their own); the functions exported
 * at the bottom use the app's database and keys from configuration.
 */
import { ConnectError } from '../connect/errors';
import { normalizeBaseUrl } from '../connect/hosts';
import { getConfig } from '../config';
import { keyIdOf, keyRingOf, open, resealed, seal, type KeyRing } from '../crypto/secret-box';
import { getDb, isUniqueConstraintError, type Db, type TenantRow } from '../db/client';
import { LruCache } from '../cache';
import type { InstallPayload, Tenant, TenantState } from './types';

export interface TenantStore {
  /** The tenant with this `clientKey`, or null. Cached. */
  getTenant(clientKey: string): Promise<Tenant | null>;
  /** Tenants whose `baseUrl` is this site (scheme and host compared case-insensitively, trailing slash ignored). */
  findTenantsByBaseUrl(baseUrl: string): Promise<Tenant[]>;
  /**
   * Records an `installed` lifecycle event: creates the tenant, or updates it on a reinstall (new shared
   * secret, state `installed`, `uninstalledAt` cleared; `installedAt` keeps the first install's time).
   * @throws ConnectError STALE_LIFECYCLE if a lifecycle event with a later `iat` was already applied.
   */
  saveInstall(payload: InstallPayload, opts: LifecycleOptions & { iat: number }): Promise<Tenant>;
  /** Records an `enabled` event. Null if there is no such tenant. @throws ConnectError STALE_LIFECYCLE */
  markEnabled(clientKey: string, opts?: LifecycleOptions): Promise<Tenant | null>;
  /** Records a `disabled` event. Null if there is no such tenant. @throws ConnectError STALE_LIFECYCLE */
  markDisabled(clientKey: string, opts?: LifecycleOptions): Promise<Tenant | null>;
  /**
   * Records an `uninstalled` event. The row and its shared secret stay: Atlassian may send a signed
   * reinstall, and the app's data for the site is kept until deleted deliberately.
   * Null if there is no such tenant. @throws ConnectError STALE_LIFECYCLE
   */
  markUninstalled(clientKey: string, opts?: LifecycleOptions): Promise<Tenant | null>;
  /**
   * Re-encrypts every shared secret not sealed with the current key (after adding a new ENCRYPTION_KEY and
   * moving the old one to ENCRYPTION_KEYS_PREVIOUS). Returns how many rows it rewrote. Safe to re-run.
   */
  reencryptSecrets(): Promise<number>;
}

export interface LifecycleOptions {
  /** `iat` (seconds) of the signed lifecycle request; an event older than the newest applied one is refused. */
  iat?: number;
  /** When the event happened; default now. */
  at?: Date;
}

export interface TenantStoreOptions {
  /** Cache size and lifetime. Defaults: 1000 tenants, 60 s. `max: 0` disables the cache. */
  cache?: { max?: number; ttlMs?: number };
  /** Clock for the cache, for tests. */
  now?: () => number;
}

const STATES: readonly TenantState[] = ['installed', 'enabled', 'disabled', 'uninstalled'];
/** Rows re-encrypted per query during key rotation. */
const ROTATION_BATCH = 200;

/**
 * A tenant store over `db`, sealing secrets with `keys`.
 *
 * @example const store = createTenantStore(createDb('file:/tmp/t.db'), keyRingOf(parseConfig({})));
 */
export function createTenantStore(db: Db, keys: KeyRing, options: TenantStoreOptions = {}): TenantStore {
  const max = options.cache?.max ?? 1000;
  const cache = max > 0 ? new LruCache<Tenant>({ max, ttlMs: options.cache?.ttlMs ?? 60_000, now: options.now }) : undefined;
  // Bumped after every write: a read that overlapped a write does not cache what it read, which may predate it.
  let writes = 0;

  const toTenant = (row: TenantRow): Tenant => {
    if (!STATES.includes(row.state as TenantState)) throw new Error(`Tenant ${row.clientKey} has an unknown state.`);
    return { ...row, state: row.state as TenantState, sharedSecret: open(row.sharedSecret, row.clientKey, keys) };
  };

  const written = (row: TenantRow): Tenant => {
    writes++;
    cache?.delete(row.clientKey);
    return toTenant(row);
  };

  async function transition(clientKey: string, data: Partial<TenantRow>, { iat, at = new Date() }: LifecycleOptions): Promise<Tenant | null> {
    if (iat !== undefined) checkIat(iat);
    const where = { clientKey };
    const update = { ...data, ...atFields(data.state, at), ...(iat !== undefined ? { lastLifecycleIat: iat } : {}) };
    for (let attempt = 0; attempt < 3; attempt++) {
      const { count } = await db.tenant.updateMany({ where: { ...where, ...notNewerThan(iat) }, data: update });
      if (count === 1) return written(await db.tenant.findUniqueOrThrow({ where }));
      const current = await db.tenant.findUnique({ where, select: { lastLifecycleIat: true } });
      if (!current) return null;
      if (isStale(current.lastLifecycleIat, iat)) throw stale();
      // Not stale now: the row changed between the two queries (a concurrent install); try again.
    }
    throw new Error(`Tenant ${clientKey} kept changing during a lifecycle update; try again.`);
  }

  return {
    async getTenant(clientKey) {
      const hit = cache?.get(clientKey);
      if (hit) return { ...hit };
      const before = writes;
      const row = await db.tenant.findUnique({ where: { clientKey } });
      if (!row) return null;
      const tenant = toTenant(row);
      if (before === writes) cache?.set(clientKey, tenant);
      return { ...tenant };
    },

    async findTenantsByBaseUrl(baseUrl) {
      const normalized = normalizeBaseUrl(baseUrl);
      if (!normalized) return [];
      const rows = await db.tenant.findMany({ where: { baseUrl: normalized }, orderBy: { installedAt: 'asc' } });
      return rows.map(toTenant);
    },

    async saveInstall(payload, { iat, at = new Date() }) {
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
        // Kept when absent: `installed` may come again without it, and the link stays.
        ...(payload.installationId ? { installationId: payload.installationId } : {}),
      };
      const where = { clientKey: payload.clientKey };
      // Update-or-create without a read-then-write race: the conditional update refuses a stale event
      // atomically, and a concurrent first install surfaces as a unique violation, then as an update.
      for (let attempt = 0; attempt < 3; attempt++) {
        const { count } = await db.tenant.updateMany({ where: { ...where, ...notNewerThan(iat) }, data: fields });
        if (count === 1) return written(await db.tenant.findUniqueOrThrow({ where }));
        const current = await db.tenant.findUnique({ where, select: { lastLifecycleIat: true } });
        if (current && isStale(current.lastLifecycleIat, iat)) throw stale();
        if (current) continue; // created by a concurrent install since the update: update it now
        try {
          // A first install starts the site's data partition: a Site with the clientKey as its id (lib/sites/).
          const site = { connectOrCreate: { where: { id: payload.clientKey }, create: { id: payload.clientKey } } };
          return written(await db.tenant.create({ data: { ...where, ...fields, site, installedAt: at } }));
        } catch (err) {
          if (!isUniqueConstraintError(err)) throw err;
        }
      }
      throw new Error(`Tenant ${payload.clientKey} kept changing during an install; try again.`);
    },

    markEnabled: (clientKey, opts = {}) => transition(clientKey, { state: 'enabled' }, opts),
    markDisabled: (clientKey, opts = {}) => transition(clientKey, { state: 'disabled' }, opts),
    markUninstalled: (clientKey, opts = {}) => transition(clientKey, { state: 'uninstalled' }, opts),

    async reencryptSecrets() {
      let rewritten = 0;
      let cursor: string | undefined;
      for (;;) {
        const rows = await db.tenant.findMany({
          select: { clientKey: true, sharedSecret: true },
          orderBy: { clientKey: 'asc' },
          take: ROTATION_BATCH,
          ...(cursor ? { cursor: { clientKey: cursor }, skip: 1 } : {}),
        });
        if (rows.length === 0) break;
        for (const row of rows) {
          if (keyIdOf(row.sharedSecret) === keys.current.id) continue;
          // Conditional on the old value, so a reinstall that lands meanwhile is not overwritten.
          const { count } = await db.tenant.updateMany({
            where: { clientKey: row.clientKey, sharedSecret: row.sharedSecret },
            data: { sharedSecret: resealed(row.sharedSecret, row.clientKey, keys) },
          });
          rewritten += count;
        }
        cursor = rows[rows.length - 1].clientKey;
      }
      writes++;
      cache?.clear();
      return rewritten;
    },
  };
}

function atFields(state: string | undefined, at: Date): Partial<TenantRow> {
  if (state === 'enabled') return { enabledAt: at };
  if (state === 'disabled') return { disabledAt: at };
  if (state === 'uninstalled') return { uninstalledAt: at };
  return {};
}

// Atlassian's `iat` has one-second resolution and `enabled` often follows `installed` within the same second,
// so an event is stale only if it is strictly older than the newest applied one.
function notNewerThan(iat: number | undefined) {
  return iat === undefined ? {} : { OR: [{ lastLifecycleIat: null }, { lastLifecycleIat: { lte: iat } }] };
}

function isStale(lastLifecycleIat: number | null, iat: number | undefined): boolean {
  return iat !== undefined && lastLifecycleIat !== null && lastLifecycleIat > iat;
}

function checkIat(iat: number): void {
  // The column is a 32-bit integer (portable across SQLite and PostgreSQL): enough until 2038.
  if (!Number.isInteger(iat) || iat < 0 || iat > 2_147_483_647) throw new RangeError('iat must be a whole number of seconds.');
}

function stale(): ConnectError {
  return new ConnectError('STALE_LIFECYCLE', 'A newer lifecycle event for this installation was already applied.');
}

// On globalThis, not in a module variable: Next bundles proxy.ts apart from the route handlers, and both
// must share one cache, so that a lifecycle callback invalidates what proxy.ts serves page loads from.
const globalForStore = globalThis as typeof globalThis & { __connectNextTenantStore?: TenantStore };

/** The app's tenant store: `getDb()` and the keys from `getConfig()`, created on first use. */
export function tenantStore(): TenantStore {
  globalForStore.__connectNextTenantStore ??= createTenantStore(getDb(), keyRingOf(getConfig()));
  return globalForStore.__connectNextTenantStore;
}
