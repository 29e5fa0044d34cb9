import { describe, expect, it, vi } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { keyIdOf, SecretBoxError } from '@/lib/crypto/secret-box';
import { normalizeBaseUrl } from '@/lib/connect/hosts';
import { forEachDatabase, installPayload, keyRing, newKey } from '@/test/helpers/db';

const T0 = new Date('2026-01-01T10:00:00.000Z');
const T1 = new Date('2026-01-01T10:05:00.000Z');
const T2 = new Date('2026-01-01T10:10:00.000Z');

forEachDatabase('tenant store', (t) => {
  describe('saveInstall', () => {
    it('creates an installed tenant from the install payload', async () => {
      const payload = installPayload({ displayUrl: 'https://jira.example.com', oauthClientId: 'oauth-1' });
      const saved = await t.store.saveInstall(payload, { iat: 1_700_000_000, at: T0 });
      expect(saved).toMatchObject({
        clientKey: 'client-1',
        key: 'connect-next',
        baseUrl: 'https://example.atlassian.net',
        displayUrl: 'https://jira.example.com',
        productType: 'jira',
        description: payload.description,
        sharedSecret: payload.sharedSecret,
        oauthClientId: 'oauth-1',
        serverVersion: '100000',
        pluginsVersion: '1001.0.0',
        state: 'installed',
        installedAt: T0,
        enabledAt: null,
        disabledAt: null,
        uninstalledAt: null,
        lastLifecycleIat: 1_700_000_000,
      });
      expect(saved.updatedAt).toBeInstanceOf(Date);
      expect(await t.store.getTenant('client-1')).toEqual(saved);
    });

    it('stores the shared secret sealed, never in plaintext', async () => {
      const payload = installPayload();
      await t.store.saveInstall(payload, { iat: 1 });
      const rows = await t.db.$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "Tenant"');
      expect(rows).toHaveLength(1);
      const stored = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(stored).not.toContain(payload.sharedSecret);
      expect(keyIdOf(String(rows[0].sharedSecret))).toBe(t.keys.current.id);
    });

    it('updates the tenant on reinstall: new secret, state installed, uninstalledAt cleared, first installedAt kept', async () => {
      await t.store.saveInstall(installPayload({ sharedSecret: 'first' }), { iat: 100, at: T0 });
      await t.store.markUninstalled('client-1', { iat: 200, at: T1 });
      const again = await t.store.saveInstall(installPayload({ sharedSecret: 'second', pluginsVersion: '1002.0.0' }), { iat: 300, at: T2 });
      expect(again).toMatchObject({
        sharedSecret: 'second',
        pluginsVersion: '1002.0.0',
        state: 'installed',
        installedAt: T0,
        uninstalledAt: null,
        lastLifecycleIat: 300,
      });
      expect(await t.db.tenant.count()).toBe(1);
    });

    it('refuses an install older than the newest lifecycle event applied (a replay)', async () => {
      await t.store.saveInstall(installPayload({ sharedSecret: 'new' }), { iat: 500 });
      const replay = t.store.saveInstall(installPayload({ sharedSecret: 'old' }), { iat: 499 });
      await expect(replay).rejects.toBeInstanceOf(ConnectError);
      await expect(replay).rejects.toMatchObject({ code: 'STALE_LIFECYCLE' });
      expect((await t.store.getTenant('client-1'))?.sharedSecret).toBe('new');
    });

    it('accepts a second event in the same second (iat has one-second resolution)', async () => {
      await t.store.saveInstall(installPayload(), { iat: 500 });
      await expect(t.store.markEnabled('client-1', { iat: 500 })).resolves.toMatchObject({ state: 'enabled' });
    });

    it('normalises the baseUrl it stores', async () => {
      const saved = await t.store.saveInstall(installPayload({ baseUrl: 'HTTPS://Example.Atlassian.NET/wiki/' }), { iat: 1 });
      expect(saved.baseUrl).toBe('https://example.atlassian.net/wiki');
    });

    it('of two concurrent installs with one token (same iat, different bodies), exactly one is stored', async () => {
      const results = await Promise.allSettled([
        t.store.saveInstall(installPayload({ sharedSecret: 'a' }), { iat: 10 }),
        t.newStore().saveInstall(installPayload({ sharedSecret: 'b' }), { iat: 10 }),
      ]);
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : r.status)).sort();
      expect(codes).toEqual(['REPLAYED_INSTALL', 'fulfilled']);
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      expect((await t.newStore().getTenant('client-1'))?.sharedSecret).toBe(['a', 'b'][winner]);
      expect(await t.db.tenant.count()).toBe(1);
    });

    it('refuses a replayed install token (same iat, another body): the stored secret and link stay', async () => {
      await t.store.saveInstall(installPayload({ sharedSecret: 'genuine', installationId: 'ari:cloud:ecosystem::installation/one' }), { iat: 100 });
      const replay = t.store.saveInstall(installPayload({ sharedSecret: 'attacker', installationId: 'ari:cloud:ecosystem::installation/two' }), { iat: 100 });
      await expect(replay).rejects.toMatchObject({ code: 'REPLAYED_INSTALL', status: 409 });
      const record = await t.db.tenant.findUniqueOrThrow({ where: { clientKey: 'client-1' } });
      expect(record.installationId).toBe('ari:cloud:ecosystem::installation/one');
      expect((await t.newStore().getTenant('client-1'))?.sharedSecret).toBe('genuine');
      // One second later is a new token: applied.
      await t.store.saveInstall(installPayload({ sharedSecret: 'next' }), { iat: 101 });
      expect((await t.newStore().getTenant('client-1'))?.sharedSecret).toBe('next');
    });

    it('an uninstall and a reinstall in one second are both applied (only installs must be strictly newer)', async () => {
      await t.store.saveInstall(installPayload({ sharedSecret: 'first' }), { iat: 100 });
      await t.store.markUninstalled('client-1', { iat: 200 });
      await t.store.saveInstall(installPayload({ sharedSecret: 'again' }), { iat: 200 });
      expect((await t.newStore().getTenant('client-1'))?.state).toBe('installed');
    });

    it('rejects an iat that is not a whole number of seconds within the column range', async () => {
      for (const iat of [1.5, -1, 2 ** 31, Number.NaN]) {
        await expect(t.store.saveInstall(installPayload(), { iat })).rejects.toBeInstanceOf(RangeError);
      }
    });
  });

  describe('state transitions', () => {
    it('enable, disable and uninstall set the state and their timestamp, keeping earlier ones', async () => {
      const payload = installPayload();
      await t.store.saveInstall(payload, { iat: 1, at: T0 });
      expect(await t.store.markEnabled('client-1', { iat: 2, at: T1 })).toMatchObject({ state: 'enabled', enabledAt: T1, lastLifecycleIat: 2 });
      expect(await t.store.markDisabled('client-1', { iat: 3, at: T2 })).toMatchObject({
        state: 'disabled',
        enabledAt: T1,
        disabledAt: T2,
        lastLifecycleIat: 3,
      });
      const uninstalled = await t.store.markUninstalled('client-1', { iat: 4, at: T2 });
      expect(uninstalled).toMatchObject({ state: 'uninstalled', installedAt: T0, enabledAt: T1, disabledAt: T2, uninstalledAt: T2, lastLifecycleIat: 4 });
      // The record only: an uninstall never needs (or decrypts) the secret, which stays sealed in the row.
      expect(uninstalled).not.toHaveProperty('sharedSecret');
      expect((await t.newStore().getTenant('client-1'))?.sharedSecret).toBe(payload.sharedSecret);
    });

    it('defaults the timestamp to now and leaves lastLifecycleIat alone without an iat', async () => {
      await t.store.saveInstall(installPayload(), { iat: 7 });
      const before = Date.now();
      const enabled = await t.store.markEnabled('client-1');
      expect(enabled?.enabledAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(enabled?.lastLifecycleIat).toBe(7);
    });

    it('returns null for a tenant that does not exist', async () => {
      expect(await t.store.markEnabled('nobody', { iat: 1 })).toBeNull();
      expect(await t.store.markDisabled('nobody')).toBeNull();
      expect(await t.store.markUninstalled('nobody')).toBeNull();
    });

    it('refuses a transition older than the newest lifecycle event applied', async () => {
      await t.store.saveInstall(installPayload(), { iat: 100 });
      await t.store.markDisabled('client-1', { iat: 200 });
      await expect(t.store.markEnabled('client-1', { iat: 150 })).rejects.toMatchObject({ code: 'STALE_LIFECYCLE' });
      expect((await t.store.getTenant('client-1'))?.state).toBe('disabled');
    });
  });

  describe('secret binding', () => {
    it('refuses a sealed secret copied from another tenant’s row', async () => {
      await t.store.saveInstall(installPayload({ clientKey: 'victim' }), { iat: 1 });
      await t.store.saveInstall(installPayload({ clientKey: 'attacker' }), { iat: 1 });
      const attacker = await t.db.tenant.findUniqueOrThrow({ where: { clientKey: 'attacker' } });
      await t.db.tenant.update({ where: { clientKey: 'victim' }, data: { sharedSecret: attacker.sharedSecret } });
      const read = t.newStore().getTenant('victim');
      await expect(read).rejects.toBeInstanceOf(SecretBoxError);
      await expect(read).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    });

    it('refuses to open secrets without the key that sealed them', async () => {
      await t.store.saveInstall(installPayload(), { iat: 1 });
      await expect(t.newStore(keyRing(newKey())).getTenant('client-1')).rejects.toMatchObject({ code: 'UNKNOWN_KEY' });
    });
  });

  describe('key rotation', () => {
    it('keeps old secrets readable, moves them to the new key, then works without the old key', async () => {
      const oldKey = newKey();
      const newer = newKey();
      const before = t.newStore(keyRing(oldKey));
      const payloads = Array.from({ length: 5 }, (_, i) => installPayload({ clientKey: `c${i}` }));
      for (const p of payloads) await before.saveInstall(p, { iat: 1 });

      const during = t.newStore(keyRing(newer, oldKey));
      expect((await during.getTenant('c0'))?.sharedSecret).toBe(payloads[0].sharedSecret);
      await during.saveInstall(installPayload({ clientKey: 'fresh' }), { iat: 1 });

      expect(await during.reencryptSecrets()).toEqual({ rewritten: 5, unreadable: [] });
      expect(await during.reencryptSecrets()).toEqual({ rewritten: 0, unreadable: [] });
      const rows = await t.db.tenant.findMany();
      expect(new Set(rows.map((r) => keyIdOf(r.sharedSecret)))).toEqual(new Set([keyRing(newer).current.id]));

      const after = t.newStore(keyRing(newer));
      for (const p of payloads) expect((await after.getTenant(p.clientKey))?.sharedSecret).toBe(p.sharedSecret);
    });

    it('reports every row no key opens, and rotates the others', async () => {
      const [oldKey, lost, newer] = [newKey(), newKey(), newKey()];
      for (const [clientKey, key] of [['a', oldKey], ['b', lost], ['c', oldKey], ['d', lost], ['e', oldKey]] as const) {
        await t.newStore(keyRing(key)).saveInstall(installPayload({ clientKey }), { iat: 1 });
      }
      await t.db.tenant.update({ where: { clientKey: 'c' }, data: { sharedSecret: 'not-a-sealed-value' } });
      expect(await t.newStore(keyRing(newer, oldKey)).reencryptSecrets()).toEqual({
        rewritten: 2,
        unreadable: [
          { clientKey: 'b', code: 'UNKNOWN_KEY' },
          { clientKey: 'c', code: 'MALFORMED' },
          { clientKey: 'd', code: 'UNKNOWN_KEY' },
        ],
      });
      const sealedWith = async (clientKey: string) => keyIdOf((await t.db.tenant.findUniqueOrThrow({ where: { clientKey } })).sharedSecret);
      expect(await sealedWith('a')).toBe(keyRing(newer).current.id);
      expect(await sealedWith('e')).toBe(keyRing(newer).current.id);
      expect(await sealedWith('b')).toBe(keyRing(lost).current.id);
    });

    it('re-encrypts more rows than one batch', async () => {
      const oldKey = newKey();
      const before = t.newStore(keyRing(oldKey));
      // Ten at a time: a pool's worth (230 at once would queue past the pool's acquire timeout, by design a 503).
      for (let i = 0; i < 230; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => before.saveInstall(installPayload({ clientKey: `c${String(i + j).padStart(3, '0')}` }), { iat: 1 })));
      }
      expect(await t.newStore(keyRing(newKey(), oldKey)).reencryptSecrets()).toEqual({ rewritten: 230, unreadable: [] });
    });
  });

  describe('several instances and lost keys', () => {
    it('reads committed state for lifecycle decisions, whatever another instance cached', async () => {
      const other = t.newStore();
      await t.store.saveInstall(installPayload(), { iat: 1 });
      expect((await other.getTenant('client-1'))?.state).toBe('installed');
      await t.store.markUninstalled('client-1', { iat: 2, at: T1 });
      const record = await other.getRecord('client-1');
      expect(record).toMatchObject({ clientKey: 'client-1', state: 'uninstalled', uninstalledAt: T1, lastLifecycleIat: 2 });
      expect(record).not.toHaveProperty('sharedSecret');
      expect(await other.getRecord('nobody')).toBeNull();
    });

    it('repairs a row sealed with a lost key by a reinstall, without reading the old secret', async () => {
      await t.newStore(keyRing(newKey())).saveInstall(installPayload({ sharedSecret: 'sealed-with-a-lost-key' }), { iat: 1, at: T0 });
      await expect(t.store.getTenant('client-1')).rejects.toMatchObject({ code: 'UNKNOWN_KEY' });
      expect(await t.store.getRecord('client-1')).toMatchObject({ state: 'installed', installedAt: T0 });
      expect(await t.store.saveInstall(installPayload({ sharedSecret: 'brought-by-the-reinstall' }), { iat: 2 })).toMatchObject({
        sharedSecret: 'brought-by-the-reinstall',
        installedAt: T0,
      });
      expect((await t.newStore().getTenant('client-1'))?.sharedSecret).toBe('brought-by-the-reinstall');
    });

    it('uninstalls a tenant whose secret no key opens', async () => {
      await t.newStore(keyRing(newKey())).saveInstall(installPayload(), { iat: 1 });
      expect(await t.store.markUninstalled('client-1', { iat: 2, at: T1 })).toMatchObject({ clientKey: 'client-1', state: 'uninstalled', uninstalledAt: T1 });
    });

    it('refuses a second live installation for one baseUrl, and allows it once the first is uninstalled', async () => {
      await t.store.saveInstall(installPayload({ clientKey: 'first', baseUrl: 'https://site.atlassian.net' }), { iat: 1 });
      const second = installPayload({ clientKey: 'second', baseUrl: 'HTTPS://SITE.atlassian.net/' });
      await expect(t.store.saveInstall(second, { iat: 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await t.db.tenant.count()).toBe(1);
      await t.store.markUninstalled('first', { iat: 2 });
      await expect(t.store.saveInstall(second, { iat: 1 })).resolves.toMatchObject({ clientKey: 'second', baseUrl: 'https://site.atlassian.net' });
    });

    it('of concurrent installs of different installations for one baseUrl through two stores, exactly one wins', async () => {
      const stores = [t.newStore(), t.newStore()];
      const installs = Array.from({ length: 10 }, (_, i) =>
        stores[i % 2].saveInstall(installPayload({ clientKey: `racer-${i}`, baseUrl: 'https://race.atlassian.net' }), { iat: 1 }),
      );
      const results = await Promise.allSettled(installs);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
      expect(await t.db.tenant.count({ where: { baseUrl: 'https://race.atlassian.net' } })).toBe(1);
    });

    it('applies concurrent lifecycle events of one installation from two stores in iat order', async () => {
      await t.store.saveInstall(installPayload(), { iat: 1 });
      const stores = [t.newStore(), t.newStore()];
      const events = Array.from({ length: 20 }, (_, i) => (i % 2 ? stores[0].markEnabled : stores[1].markDisabled)('client-1', { iat: 2 + i }).catch((e: unknown) => e));
      const outcomes = await Promise.all(events);
      for (const o of outcomes) if (o instanceof Error) expect(o).toMatchObject({ code: 'STALE_LIFECYCLE' });
      // Whatever order they ran in, the newest event is the one that stays.
      expect(await t.store.getRecord('client-1')).toMatchObject({ state: 'enabled', lastLifecycleIat: 21 });
    });
  });

  describe('cache', () => {
    it('serves repeated reads of a tenant without querying the database', async () => {
      await t.store.saveInstall(installPayload(), { iat: 1 });
      await t.store.getTenant('client-1');
      const spy = vi.spyOn(t.db.tenant, 'findUnique');
      try {
        for (let i = 0; i < 5; i++) expect(await t.store.getTenant('client-1')).not.toBeNull();
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });

    it('shows every write through the store at once', async () => {
      await t.store.saveInstall(installPayload({ sharedSecret: 'one' }), { iat: 1 });
      expect((await t.store.getTenant('client-1'))?.state).toBe('installed');
      await t.store.markEnabled('client-1', { iat: 2 });
      expect((await t.store.getTenant('client-1'))?.state).toBe('enabled');
      await t.store.markDisabled('client-1', { iat: 3 });
      expect((await t.store.getTenant('client-1'))?.state).toBe('disabled');
      await t.store.markUninstalled('client-1', { iat: 4 });
      expect((await t.store.getTenant('client-1'))?.state).toBe('uninstalled');
      await t.store.saveInstall(installPayload({ sharedSecret: 'two' }), { iat: 5 });
      expect(await t.store.getTenant('client-1')).toMatchObject({ state: 'installed', sharedSecret: 'two' });
    });

    it('drops cached tenants after key rotation re-encrypts them', async () => {
      const oldKey = newKey();
      await t.newStore(keyRing(oldKey)).saveInstall(installPayload(), { iat: 1 });
      const store = t.newStore(keyRing(newKey(), oldKey));
      await store.getTenant('client-1');
      const spy = vi.spyOn(t.db.tenant, 'findUnique');
      try {
        await store.reencryptSecrets();
        await store.getTenant('client-1');
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });

    it('lets another instance see a change only after the TTL, 10 s by default (the documented staleness bound)', async () => {
      let now = 0;
      const reader = t.newStore(t.keys, { now: () => now });
      await t.store.saveInstall(installPayload(), { iat: 1 });
      expect((await reader.getTenant('client-1'))?.state).toBe('installed');
      await t.store.markDisabled('client-1', { iat: 2 });
      now = 9_999;
      expect((await reader.getTenant('client-1'))?.state).toBe('installed');
      now = 10_000;
      expect((await reader.getTenant('client-1'))?.state).toBe('disabled');
    });

    it('re-reads a tenant past the cache on request, at most once a second per tenant, one query for concurrent requests', async () => {
      let now = 0;
      const reader = t.newStore(t.keys, { now: () => now });
      await t.store.saveInstall(installPayload({ sharedSecret: 'one' }), { iat: 1 });
      expect((await reader.getTenant('client-1'))?.sharedSecret).toBe('one');
      await t.newStore().saveInstall(installPayload({ sharedSecret: 'two' }), { iat: 2 });
      expect((await reader.getTenant('client-1'))?.sharedSecret).toBe('one');

      const spy = vi.spyOn(t.db.tenant, 'findUnique');
      try {
        const [a, b] = await Promise.all([reader.refreshTenant('client-1'), reader.refreshTenant('client-1')]);
        expect([a?.sharedSecret, b?.sharedSecret]).toEqual(['two', 'two']);
        expect(spy).toHaveBeenCalledTimes(1);
        expect((await reader.getTenant('client-1'))?.sharedSecret).toBe('two');
        now = 999;
        expect(await reader.refreshTenant('client-1')).toBeUndefined();
        expect(spy).toHaveBeenCalledTimes(1);
        now = 1_000;
        expect((await reader.refreshTenant('client-1'))?.sharedSecret).toBe('two');
        expect(spy).toHaveBeenCalledTimes(2);
      } finally {
        spy.mockRestore();
      }
    });

    it('does not cache unknown tenants, so a new install is found at once', async () => {
      const reader = t.newStore();
      expect(await reader.getTenant('client-1')).toBeNull();
      await t.store.saveInstall(installPayload(), { iat: 1 });
      expect(await reader.getTenant('client-1')).not.toBeNull();
    });

    it('hands out copies, so a caller changing a tenant does not change the cache', async () => {
      await t.store.saveInstall(installPayload(), { iat: 1 });
      const first = await t.store.getTenant('client-1');
      first!.state = 'disabled';
      expect((await t.store.getTenant('client-1'))?.state).toBe('installed');
    });
  });
});

describe('normalizeBaseUrl', () => {
  it.each([
    ['https://Example.Atlassian.net/', 'https://example.atlassian.net'],
    ['HTTPS://example.atlassian.net/wiki/', 'https://example.atlassian.net/wiki'],
    ['https://example.atlassian.net:443', 'https://example.atlassian.net'],
    ['http://localhost:2990/jira', 'http://localhost:2990/jira'],
    ['https://example.atlassian.net/Wiki', 'https://example.atlassian.net/Wiki'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeBaseUrl(input)).toBe(expected);
  });

  it.each([['ftp://example.com'], ['example.atlassian.net'], ['']])('rejects %j', (input) => {
    expect(normalizeBaseUrl(input)).toBeNull();
  });
});
