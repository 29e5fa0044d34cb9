/**
 * The Forge site resolution cache (lib/sites/resolution-cache.ts) over the real site store and a real SQLite
 * file: what it serves without a query, for how long, and what always reads committed state.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { siteMoved } from '@/lib/sites/moved';
import { SiteResolutionCache, withResolutionCache } from '@/lib/sites/resolution-cache';
import { createSiteStore, type ForgeSiteClaims, type SiteStore } from '@/lib/sites/store';
import { clearTables, createTestDatabase, type TestDatabase } from '../helpers/db';

const claims: ForgeSiteClaims = {
  installationId: 'ari:cloud:ecosystem::installation/5d3d0f27-6a4b-4c35-9d9b-1c1a3d0e2f10',
  cloudId: '0f6c1f63-8a5e-4c2a-9b0e-2d6f2c1e7a11',
  siteUrl: 'https://acme.atlassian.net',
};
const IAT = 1_800_000_000;

let database: TestDatabase;
let clock: number;
let reads: number;
let sites: SiteStore;

beforeAll(async () => {
  database = await createTestDatabase('sqlite', 'resolution-cache');
});
afterAll(async () => {
  await database?.dispose();
});
beforeEach(async () => {
  await clearTables(database.db);
  clock = 0;
  reads = 0;
  const store = createSiteStore(database.db);
  const counted: SiteStore = {
    ...store,
    resolveForgeInstallation: (c, opts) => {
      reads++;
      return store.resolveForgeInstallation(c, opts);
    },
  };
  sites = withResolutionCache(counted, new SiteResolutionCache({ now: () => clock }));
});

describe('Forge site resolution cache', () => {
  it('serves an installed installation again without reading the database', async () => {
    const first = await sites.resolveForgeInstallation(claims);
    const again = await sites.resolveForgeInstallation(claims);
    expect(again.siteId).toBe(first.siteId);
    expect(reads).toBe(1);
  });

  it('serves it for 10 s at most: read again at 10 000 ms, not at 9 999 ms', async () => {
    await sites.resolveForgeInstallation(claims);
    clock = 9_999;
    await sites.resolveForgeInstallation(claims);
    expect(reads).toBe(1);
    clock = 10_000;
    await sites.resolveForgeInstallation(claims);
    expect(reads).toBe(2);
  });

  it('honours an uninstall through this instance at once', async () => {
    await sites.resolveForgeInstallation(claims);
    expect(await sites.markUninstalled(claims.installationId, { iat: IAT })).toBe(true);
    await expect(sites.resolveForgeInstallation(claims)).rejects.toMatchObject({ code: 'TENANT_UNINSTALLED' });
    expect(reads).toBe(2);
  });

  it('honours an uninstall through another instance within 10 s', async () => {
    await sites.resolveForgeInstallation(claims);
    const otherInstance = createSiteStore(database.db);
    expect(await otherInstance.markUninstalled(claims.installationId, { iat: IAT })).toBe(true);
    clock = 10_000;
    await expect(sites.resolveForgeInstallation(claims)).rejects.toMatchObject({ code: 'TENANT_UNINSTALLED' });
  });

  it('never refuses on a cached row: a FIT naming another cloudId is read again and the store decides', async () => {
    await sites.resolveForgeInstallation(claims);
    const err = await sites.resolveForgeInstallation({ ...claims, cloudId: 'a1d2c3b4-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe('CONFLICT');
    expect(reads).toBe(2);
  });

  it('does not cache a refusal', async () => {
    await sites.resolveForgeInstallation(claims);
    await sites.markUninstalled(claims.installationId, { iat: IAT });
    await expect(sites.resolveForgeInstallation(claims)).rejects.toMatchObject({ code: 'TENANT_UNINSTALLED' });
    await expect(sites.resolveForgeInstallation(claims)).rejects.toMatchObject({ code: 'TENANT_UNINSTALLED' });
    expect(reads).toBe(3);
  });

  it('always reads committed state for lifecycle decisions (allowUninstalled)', async () => {
    await sites.resolveForgeInstallation(claims);
    await sites.resolveForgeInstallation(claims, { allowUninstalled: true });
    await sites.resolveForgeInstallation(claims, { allowUninstalled: true });
    expect(reads).toBe(3);
  });

  it('evicts an installation its lifecycle event wrote', async () => {
    await sites.resolveForgeInstallation(claims);
    await sites.recordLifecycle({ ...claims, appVersion: '2.0.0' }, 'upgraded', { iat: IAT });
    const after = await sites.resolveForgeInstallation(claims);
    expect(after.appVersion).toBe('2.0.0');
  });

  it('does not cache a read that overlapped a write through this store', async () => {
    const cache = new SiteResolutionCache({ now: () => clock });
    const store = createSiteStore(database.db);
    let loads = 0;
    const load = async () => {
      loads++;
      const row = await store.resolveForgeInstallation(claims);
      cache.evict(claims.installationId); // a write lands while this read is in flight
      return row;
    };
    await cache.resolve(claims, load);
    await cache.resolve(claims, load);
    expect(loads).toBe(2);
  });

  it('clears everything when a site moves (a join made here, or a write that found its site gone: 503 SITE_MOVED)', async () => {
    const cache = new SiteResolutionCache({ now: () => clock });
    const cached = withResolutionCache(createSiteStore(database.db), cache);
    await cached.resolveForgeInstallation(claims);
    expect(cache.size).toBe(1);
    siteMoved();
    expect(cache.size).toBe(0);
  });
});
