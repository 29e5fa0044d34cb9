/**
 * The tenant store's in-process cache, and the two rules that make it safe to share across instances:
 *
 * - A read that overlapped a write through this store does not cache what it read (it may predate the
 *   write): every write bumps a generation number, and a read caches only if the generation did not move.
 * - A committed re-read that bypasses the cache (after a signature failed to verify: lib/connect/jwt.ts) is
 *   allowed at most once per tenant per `refreshIntervalMs`, and concurrent ones share one query, so forged
 *   tokens cannot turn into database reads.
 *
 * Other processes learn of a write only when their entry expires (`ttlMs`), or at once for a rotated secret
 * (the re-read above), or, for a tenant whose site was joined into another, when a write on the old siteId
 * fails (the app's store clears its cache then: lib/sites/moved.ts). Lifecycle decisions never read this cache (lib/tenants/store.ts).
 */
import { LruCache } from '../cache';
import type { Tenant } from './types';

export interface TenantCacheOptions {
  /** Tenants kept. Default 1000; 0 disables the cache (every read queries). */
  max?: number;
  /** How long a cached tenant is served. Default 10 s: the staleness bound for state changed elsewhere. */
  ttlMs?: number;
  /** Least time between two committed re-reads of one tenant. Default 1 s. */
  refreshIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export const TENANT_CACHE_TTL_MS = 10_000;
export const TENANT_REFRESH_INTERVAL_MS = 1_000;

export class TenantCache {
  readonly #entries: LruCache<Tenant> | undefined;
  readonly #refreshed: LruCache<true>;
  readonly #inFlight = new Map<string, Promise<Tenant | null>>();
  #generation = 0;

  constructor({ max = 1000, ttlMs = TENANT_CACHE_TTL_MS, refreshIntervalMs = TENANT_REFRESH_INTERVAL_MS, now }: TenantCacheOptions = {}) {
    this.#entries = max > 0 ? new LruCache({ max, ttlMs, now }) : undefined;
    this.#refreshed = new LruCache({ max: Math.max(max, 1000), ttlMs: refreshIntervalMs, now });
  }

  /** The cached tenant, or what `load` reads (cached unless a write overlapped the read). Copies out. */
  async read(clientKey: string, load: () => Promise<Tenant | null>): Promise<Tenant | null> {
    const hit = this.#entries?.get(clientKey);
    if (hit) return { ...hit };
    return this.#loaded(clientKey, load);
  }

  /**
   * What `load` reads now, bypassing the cache, or `undefined` if this tenant was re-read less than
   * `refreshIntervalMs` ago. Concurrent calls share one read.
   */
  async refresh(clientKey: string, load: () => Promise<Tenant | null>): Promise<Tenant | null | undefined> {
    const pending = this.#inFlight.get(clientKey);
    if (pending) return pending.then((t) => t && { ...t });
    if (this.#refreshed.get(clientKey)) return undefined;
    this.#refreshed.set(clientKey, true);
    const read = this.#loaded(clientKey, load).finally(() => this.#inFlight.delete(clientKey));
    this.#inFlight.set(clientKey, read);
    return read;
  }

  /** After a write of this tenant through the store. */
  written(clientKey: string): void {
    this.#generation++;
    this.#entries?.delete(clientKey);
  }

  /** After a write of many tenants (key rotation). */
  clear(): void {
    this.#generation++;
    this.#entries?.clear();
  }

  async #loaded(clientKey: string, load: () => Promise<Tenant | null>): Promise<Tenant | null> {
    const generation = this.#generation;
    const tenant = await load();
    if (!tenant) return null;
    if (generation === this.#generation) this.#entries?.set(clientKey, tenant);
    return { ...tenant };
  }
}
