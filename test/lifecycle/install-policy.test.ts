/**
 * The install policy of SECURITY.md, row by row, through the code the lifecycle route runs, on SQLite and
 * PostgreSQL. Every refusal also checks that nothing stored changed.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { verifyConnectRequest } from '@/lib/connect/jwt';
import { createInstallKeyResolver } from '@/lib/connect/install-token';
import { handleLifecycle } from '@/lib/connect/lifecycle';
import type { LifecycleEvent } from '@/lib/connect/lifecycle-payload';
import { handle } from '@/lib/http/responses';
import type { TenantStore } from '@/lib/tenants/store';
import { forEachDatabase, keyRing, newKey, type DatabaseContext } from '../helpers/db';
import {
  APP_KEY,
  APP_URL,
  installPayload,
  lifecycleRequest,
  rsaKeyPair,
  signInstallToken,
  signSymmetricToken,
  startKeyServer,
  type KeyServer,
} from '../helpers/product';

let keys: KeyServer;
beforeAll(async () => {
  keys = await startKeyServer();
});
afterAll(() => keys.close());

type Payload = ReturnType<typeof installPayload>;
const now = () => Math.floor(Date.now() / 1000);
const url = (event: string) => `${APP_URL}/api/lifecycle/${event}`;

forEachDatabase('install policy', (t: DatabaseContext) => {
  /** Runs one callback exactly as the route does, returning its HTTP response. */
  function call(event: LifecycleEvent, request: Request, store: TenantStore = t.store): Promise<Response> {
    return handle(async () => {
      await handleLifecycle(event, request, {
        store,
        appBaseUrl: APP_URL,
        appKey: APP_KEY,
        allowedHosts: ['*.atlassian.net'],
        resolveInstallKey: createInstallKeyResolver({ keysUrls: [keys.url] }),
      });
      return new Response(null, { status: 204 });
    });
  }

  /** A signed `installed` (or `uninstalled`) callback from Atlassian for `payload`. */
  function signed(event: 'installed' | 'uninstalled', payload: Payload, options: Parameters<typeof signInstallToken>[3] & { iss?: string } = {}) {
    const body = { ...payload, eventType: event };
    return lifecycleRequest(event, body, signInstallToken(keys, options.iss ?? payload.clientKey, url(event), options));
  }

  /** An `enabled`/`disabled` callback signed with the tenant's shared secret. */
  function symmetric(event: 'enabled' | 'disabled', payload: Payload, claims: Record<string, unknown> = {}) {
    const token = signSymmetricToken(payload.sharedSecret, payload.clientKey, 'POST', url(event), claims);
    return lifecycleRequest(event, { ...payload, eventType: event }, token);
  }

  async function install(payload: Payload, options: Parameters<typeof signInstallToken>[3] = {}) {
    const response = await call('installed', signed('installed', payload, options));
    expect(response.status).toBe(204);
  }

  const rows = () => t.db.tenant.findMany({ orderBy: { clientKey: 'asc' } });

  async function expectRefused(event: LifecycleEvent, request: Request, status: number, code: string) {
    const before = await rows();
    const response = await call(event, request);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: code });
    expect(await rows()).toEqual(before);
  }

  /** Verifies a page-load style request from the product signed with `secret`, as an instance with `store` would. */
  function productRequest(payload: Payload, secret = payload.sharedSecret, store: TenantStore = t.store) {
    const target = `${APP_URL}/connect/issue-notes?issueKey=NOTE-1`;
    const token = signSymmetricToken(secret, payload.clientKey, 'GET', target);
    return verifyConnectRequest(new Request(`${target}&jwt=${token}`), {
      mode: 'strict',
      appBaseUrl: APP_URL,
      getTenant: (k) => store.getTenant(k),
      refreshTenant: (k) => store.refreshTenant(k),
    });
  }

  /** A product request signed with the tenant's secret verifies, as that tenant, in `state`. */
  async function expectAccepted(payload: Payload, state: 'installed' | 'enabled') {
    const verified = await productRequest(payload);
    expect(verified.tenant).toMatchObject({ clientKey: payload.clientKey, baseUrl: payload.baseUrl, sharedSecret: payload.sharedSecret, state });
    expect(verified.claims.iss).toBe(payload.clientKey);
    expect(verified.userAccountId).toBeUndefined();
  }

  it('a new clientKey installs, with its secret stored encrypted', async () => {
    const p = installPayload();
    await install(p);
    const tenant = await t.store.getTenant(p.clientKey);
    expect(tenant).toMatchObject({ clientKey: p.clientKey, baseUrl: p.baseUrl, state: 'installed', sharedSecret: p.sharedSecret });
    const [row] = await rows();
    expect(row.sharedSecret).not.toContain(p.sharedSecret);
    await expect(productRequest(p)).resolves.toMatchObject({ tenant: { clientKey: p.clientKey } });
  });

  it('a verified reinstall updates the record, and a rotated secret takes effect at once', async () => {
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    await expectAccepted(p, 'installed');
    const rotated = { ...p, sharedSecret: `rotated-${p.sharedSecret}`, pluginsVersion: '1002.0.0' };
    await install(rotated);
    expect(await t.store.getTenant(p.clientKey)).toMatchObject({ sharedSecret: rotated.sharedSecret, pluginsVersion: '1002.0.0' });
    await expectAccepted(rotated, 'installed');
    await expect(productRequest(p)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('a changed baseUrl is accepted with a valid signature, and logged', async () => {
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    vi.stubEnv('CONNECT_LOG', 'on');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const moved = { ...p, baseUrl: 'https://renamed-site.atlassian.net' };
    await install(moved);
    expect(errors.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/tenant_base_url_changed.*renamed-site/);
    errors.mockRestore();
    vi.unstubAllEnvs();
    expect(await t.store.getTenant(p.clientKey)).toMatchObject({ baseUrl: moved.baseUrl });
  });

  it('another clientKey claiming a baseUrl held by an installed tenant is refused (409)', async () => {
    const victim = installPayload();
    await install(victim);
    await expectRefused('installed', signed('installed', installPayload({ baseUrl: victim.baseUrl })), 409, 'CONFLICT');
  });

  it('another clientKey may take a baseUrl whose holder has uninstalled', async () => {
    const old = installPayload();
    await install(old, { claims: { iat: now() - 10 } });
    expect((await call('uninstalled', signed('uninstalled', old, { claims: { iat: now() - 5 } }))).status).toBe(204);
    const fresh = installPayload({ baseUrl: old.baseUrl });
    await install(fresh);
    expect(await t.store.getTenant(fresh.clientKey)).toMatchObject({ state: 'installed' });
  });

  it('an install whose token was issued for another site (iss ≠ clientKey) is refused', async () => {
    const victim = installPayload();
    await install(victim, { claims: { iat: now() - 10 } });
    // The attacker owns a real site, so Atlassian signs for the attacker's clientKey; the body claims the victim's.
    const hijack = { ...victim, sharedSecret: 'attacker-chosen-secret-0123456789' };
    await expectRefused('installed', signed('installed', hijack, { iss: 'attacker-client-key' }), 401, 'ISSUER_MISMATCH');
    await expectAccepted(victim, 'installed');
  });

  it('an install signed with the shared secret instead of Atlassian’s key is refused', async () => {
    const p = installPayload();
    const token = signSymmetricToken(p.sharedSecret, p.clientKey, 'POST', url('installed'));
    await expectRefused('installed', lifecycleRequest('installed', p, token), 401, 'WRONG_ALGORITHM');
  });

  it('an install signed with another RSA key is refused', async () => {
    const p = installPayload();
    await expectRefused('installed', signed('installed', p, { privateKeyPem: rsaKeyPair().privateKeyPem }), 401, 'BAD_SIGNATURE');
  });

  it('an install for another app (wrong aud) is refused', async () => {
    await expectRefused('installed', signed('installed', installPayload(), { claims: { aud: 'https://other-app.example.com' } }), 401, 'WRONG_AUDIENCE');
  });

  it('an install without a token is refused', async () => {
    await expectRefused('installed', lifecycleRequest('installed', installPayload()), 401, 'TOKEN_MISSING');
  });

  it('an uninstall of an unknown tenant changes nothing', async () => {
    const before = await rows();
    expect((await call('uninstalled', signed('uninstalled', installPayload()))).status).toBe(204);
    expect(await rows()).toEqual(before);
  });

  it('uninstalled keeps the row, and its shared secret no longer authenticates anything', async () => {
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    expect((await call('uninstalled', signed('uninstalled', p))).status).toBe(204);
    expect(await t.store.getTenant(p.clientKey)).toMatchObject({ state: 'uninstalled' });
    await expect(productRequest(p)).rejects.toMatchObject({ code: 'TENANT_UNINSTALLED' });
  });

  it('an install replayed after uninstall is refused', async () => {
    const p = installPayload();
    const installed = signInstallToken(keys, p.clientKey, url('installed'), { claims: { iat: now() - 10 } });
    expect((await call('installed', lifecycleRequest('installed', p, installed))).status).toBe(204);
    expect((await call('uninstalled', signed('uninstalled', p, { claims: { iat: now() - 5 } }))).status).toBe(204);
    await expectRefused('installed', lifecycleRequest('installed', p, installed), 409, 'STALE_LIFECYCLE');
    expect(await t.store.getTenant(p.clientKey)).toMatchObject({ state: 'uninstalled' });
  });

  it('a lifecycle event older than one already applied is refused (409)', async () => {
    const p = installPayload();
    await install(p);
    await expectRefused('disabled', symmetric('disabled', p, { iat: now() - 60 }), 409, 'STALE_LIFECYCLE');
  });

  it('a genuine reinstall after uninstall is accepted', async () => {
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    expect((await call('uninstalled', signed('uninstalled', p, { claims: { iat: now() - 5 } }))).status).toBe(204);
    await install({ ...p, sharedSecret: `new-${p.sharedSecret}` });
    expect(await t.store.getTenant(p.clientKey)).toMatchObject({ state: 'installed', uninstalledAt: null });
  });

  it('disabled is applied with a shared-secret token, and a disabled tenant is refused until enabled', async () => {
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    expect((await call('disabled', symmetric('disabled', p, { iat: now() - 5 }))).status).toBe(204);
    await expect(productRequest(p)).rejects.toMatchObject({ code: 'TENANT_DISABLED' });
    expect((await call('enabled', symmetric('enabled', p))).status).toBe(204);
    await expectAccepted(p, 'enabled');
    expect(await t.store.getTenant(p.clientKey)).toMatchObject({ state: 'enabled' });
  });

  it('enabled for an uninstalled tenant is refused', async () => {
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    expect((await call('uninstalled', signed('uninstalled', p, { claims: { iat: now() - 5 } }))).status).toBe(204);
    await expectRefused('enabled', symmetric('enabled', p), 401, 'TENANT_UNINSTALLED');
  });

  it('enabled for an unknown tenant is refused', async () => {
    await expectRefused('enabled', symmetric('enabled', installPayload()), 401, 'UNKNOWN_TENANT');
  });

  it('a context token cannot drive a lifecycle callback', async () => {
    const p = installPayload();
    await install(p);
    await expectRefused('disabled', symmetric('disabled', p, { qsh: 'context-qsh' }), 401, 'QSH_MISMATCH');
  });

  it('an enabled callback whose body names another tenant is refused', async () => {
    const a = installPayload();
    const b = installPayload();
    await install(a);
    await install(b);
    const token = signSymmetricToken(a.sharedSecret, a.clientKey, 'POST', url('disabled'));
    await expectRefused('disabled', lifecycleRequest('disabled', { ...b, eventType: 'disabled' }, token), 401, 'ISSUER_MISMATCH');
  });

  it('malformed JSON is a 400', async () => {
    const p = installPayload();
    const token = signInstallToken(keys, p.clientKey, url('installed'));
    await expectRefused('installed', lifecycleRequest('installed', '{"clientKey":', token), 400, 'BAD_REQUEST');
  });

  it('a payload missing required fields is a 400', async () => {
    await expectRefused('installed', signed('installed', installPayload({ sharedSecret: undefined as unknown as string })), 400, 'BAD_REQUEST');
  });

  it('an oversized body is a 413', async () => {
    await expectRefused('installed', signed('installed', installPayload({ description: 'x'.repeat(20_000) })), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a body that is not JSON is a 415', async () => {
    const p = installPayload();
    const token = signInstallToken(keys, p.clientKey, url('installed'));
    await expectRefused('installed', lifecycleRequest('installed', JSON.stringify(p), token, { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a baseUrl outside the allowed product hosts is a 403', async () => {
    await expectRefused('installed', signed('installed', installPayload({ baseUrl: 'https://evil.example.com' })), 403, 'HOST_NOT_ALLOWED');
  });

  it('a reinstall with a rotated secret through one instance is honoured by another at once', async () => {
    const other = t.newStore();
    const p = installPayload();
    await install(p, { claims: { iat: now() - 10 } });
    await expect(productRequest(p, p.sharedSecret, other)).resolves.toMatchObject({ tenant: { sharedSecret: p.sharedSecret } });
    const rotated = { ...p, sharedSecret: `rotated-${p.sharedSecret}` };
    await install(rotated);
    // `other` still caches the old secret: the failed signature makes it read the committed one.
    await expect(productRequest(rotated, rotated.sharedSecret, other)).resolves.toMatchObject({ tenant: { sharedSecret: rotated.sharedSecret } });
    await expect(productRequest(p, p.sharedSecret, other)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('forged signatures cost at most one database read per tenant per second', async () => {
    const p = installPayload();
    await install(p);
    const other = t.newStore(t.keys, { now: () => 0 }); // a frozen clock: every forgery lands in the same second
    await productRequest(p, p.sharedSecret, other);
    const reads = vi.spyOn(t.db.tenant, 'findUnique');
    try {
      for (let i = 0; i < 5; i++) await expect(productRequest(p, `forged-${i}`, other)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('an uninstall is applied even where an instance cached an older state of the tenant', async () => {
    const other = t.newStore();
    const p = installPayload();
    await install(p, { claims: { iat: now() - 20 } });
    expect((await call('uninstalled', signed('uninstalled', p, { claims: { iat: now() - 15 } }))).status).toBe(204);
    expect(await other.getTenant(p.clientKey)).toMatchObject({ state: 'uninstalled' });
    await install({ ...p, sharedSecret: `new-${p.sharedSecret}` }, { claims: { iat: now() - 10 } });
    // Delivered to the instance whose cache still says "uninstalled": it decides on the committed row.
    expect((await call('uninstalled', signed('uninstalled', p), other)).status).toBe(204);
    expect(await t.db.tenant.findUniqueOrThrow({ where: { clientKey: p.clientKey } })).toMatchObject({ state: 'uninstalled' });
  });

  it('a genuine reinstall repairs a tenant whose stored secret no key opens (a lost key)', async () => {
    const p = installPayload();
    await t.newStore(keyRing(newKey())).saveInstall(p, { iat: now() - 10 });
    await expect(productRequest(p)).rejects.toMatchObject({ code: 'UNKNOWN_KEY' });
    const repaired = { ...p, sharedSecret: `reinstalled-${p.sharedSecret}` };
    await install(repaired);
    await expect(productRequest(repaired)).resolves.toMatchObject({ tenant: { clientKey: p.clientKey, state: 'installed' } });
  });

  it('a genuine uninstall of a tenant whose stored secret no key opens is applied (204)', async () => {
    const p = installPayload();
    await t.newStore(keyRing(newKey())).saveInstall(p, { iat: now() - 10 });
    expect((await call('uninstalled', signed('uninstalled', p))).status).toBe(204);
    expect(await t.store.getRecord(p.clientKey)).toMatchObject({ state: 'uninstalled' });
  });

  it('error responses never echo the token or the shared secret', async () => {
    const p = installPayload();
    const token = signInstallToken(keys, 'someone-else', url('installed'));
    const response = await call('installed', lifecycleRequest('installed', p, token));
    const text = await response.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain(p.sharedSecret);
    expect(text).not.toMatch(/at .*\.ts/);
  });
});
