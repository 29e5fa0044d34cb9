/**
 * An in-process cache of Forge site resolution (a verified FIT's installation → its ForgeInstallation row,
 * whose `siteId` partitions the data), so a Forge API call costs one database query (the notes) instead of
 * two. The rules are the tenant cache's (lib/tenants/cache.ts), and bound what another instance's write
 * can leave stale:
 *
 * - Served for at most `ttlMs` (10 s, TENANT_CACHE_TTL_MS): an installation uninstalled, or a site merged,
 *   through another instance is seen here within that time, as a tenant is (docs/reliability.md).
 * - Only an installation in state `installed` whose stored cloudId is the FIT's is served from the cache.
 *   Anything that would be refused (another cloudId, an uninstalled installation) or is unknown is read
 *   from committed state, and the store decides (re-read on failure: a refusal is never made on a cached row).
 * - A write through this process's store evicts what it touched (`recordLifecycle`, `markUninstalled`);
 *   a join of two sites (./moved.ts: made here, or learnt from a write that found its site gone) clears the
 *   whole cache. A cached installation skips the join check of its resolution (lib/sites/store.ts), so a
 *   join Atlassian has just made confirmable waits for the entry to expire: at most 10 s. A read that overlapped one of these writes
 *   is not cached (the generation rule). `evict(installationId)` and `clear()` are the hooks for any other
 *   code that learns a cached site is gone.
 * - Lifecycle decisions (`allowUninstalled`: Forge events) always read committed state.
 */
import { LruCache } from '../cache';
import { TENANT_CACHE_TTL_MS } from '../tenants/cache';
import { onSiteMoved } from './moved';
import type { ForgeInstallation, ForgeSiteClaims, SiteStore } from './store';

export interface SiteResolutionCacheOptions {
  /** Installations kept. Default 1000. */
  max?: number;
  /** How long a resolution is served. Default TENANT_CACHE_TTL_MS (10 s): the staleness bound across instances. */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class SiteResolutionCache {
  readonly #entries: LruCache<ForgeInstallation>;
  #generation = 0;

  constructor({ max = 1000, ttlMs = TENANT_CACHE_TTL_MS, now }: SiteResolutionCacheOptions = {}) {
    this.#entries = new LruCache({ max, ttlMs, now });
  }

  /** The cached installation for these claims, or what `load` resolves (cached if installed and no write overlapped). */
  async resolve(claims: ForgeSiteClaims, load: () => Promise<ForgeInstallation>): Promise<ForgeInstallation> {
    const hit = this.#entries.get(claims.installationId);
    if (hit && hit.cloudId === claims.cloudId && hit.state === 'installed') return { ...hit };
    const generation = this.#generation;
    const installation = await load();
    if (generation === this.#generation && installation.state === 'installed' && installation.cloudId === claims.cloudId) {
      this.#entries.set(claims.installationId, { ...installation });
    }
    return installation;
  }

  /** Forgets one installation (it was written, or its site is known to be gone). */
  evict(installationId: string): void {
    this.#generation++;
    this.#entries.delete(installationId);
  }

  /** Forgets every installation (sites were merged). */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * `store` with its FIT resolution served through `cache`, and its writes evicting from it.
 *
 * @example const sites = withResolutionCache(createSiteStore(getDb()));
 */
export function withResolutionCache(store: SiteStore, cache: SiteResolutionCache = new SiteResolutionCache()): SiteStore {
  // A join (made here, or learnt from a write that found its site gone: 503 SITE_MOVED) may have moved any
  // cached installation's site.
  onSiteMoved(() => cache.clear());
  return {
    resolveForgeInstallation: (claims, opts) =>
      opts?.allowUninstalled ? store.resolveForgeInstallation(claims, opts) : cache.resolve(claims, () => store.resolveForgeInstallation(claims, opts)),
    async recordLifecycle(claims, event, opts) {
      try {
        return await store.recordLifecycle(claims, event, opts);
      } finally {
        cache.evict(claims.installationId);
      }
    },
    async markUninstalled(installationId, opts) {
      try {
        return await store.markUninstalled(installationId, opts);
      } finally {
        cache.evict(installationId);
      }
    },
    assertLinkable: (tx, install) => store.assertLinkable(tx, install),
  };
}
