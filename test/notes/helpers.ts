/**
 * Shared by the notes and webhook tests: installed tenants in a real test database, and the requests an
 * iframe (context token) or Jira (request token) would send. Tokens are signed by atlassian-jwt at the
 * fixed clock `NOW` of test/helpers/jwt.ts; pass `now: NOW` to the code under test.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { installPayload, keyRing, newKey, type DatabaseContext } from '../helpers/db';
import { APP_URL, NOW_S, contextToken } from '../helpers/jwt';
import type { InstallPayload, Tenant } from '@/lib/tenants/types';

export { APP_URL, NOW, NOW_S, contextToken, requestToken } from '../helpers/jwt';

export const ALICE = '557058:alice-0001';
export const BOB = '557058:bob-0002';

/** Installs (and enables) a new tenant through the real tenant store. */
export async function installTenant(t: DatabaseContext, overrides: Partial<InstallPayload> = {}): Promise<Tenant> {
  const clientKey = randomUUID();
  const payload = installPayload({ clientKey, baseUrl: `https://site-${clientKey.slice(0, 8)}.atlassian.net`, ...overrides });
  await t.store.saveInstall(payload, { iat: NOW_S - 60 });
  return (await t.store.markEnabled(payload.clientKey, { iat: NOW_S - 60 }))!;
}

/** The `context` claim of a token minted on an issue's page (issue panel, glance). */
export function issueContext(issueKey: string) {
  const projectKey = issueKey.slice(0, issueKey.lastIndexOf('-'));
  return { license: { active: true }, jira: { issue: { key: issueKey, id: '10001' }, project: { key: projectKey, id: '10000' } } };
}

/** A context token from an issue's page, for `sub` (null: an anonymous viewer, no `sub` claim). */
export function issueToken(tenant: Tenant, issueKey: string, sub: string | null = ALICE, claims: Record<string, unknown> = {}): string {
  return contextToken(tenant, { sub: sub ?? undefined, context: issueContext(issueKey), ...claims });
}

/** A context token from a general page: no issue in its context. */
export function generalToken(tenant: Tenant, sub: string | null = ALICE, claims: Record<string, unknown> = {}): string {
  return contextToken(tenant, { sub: sub ?? undefined, context: { license: { active: true } }, ...claims });
}

export interface ApiRequestInit {
  method?: string;
  token?: string;
  /** A value (JSON-encoded) or a raw string body. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A request to `APP_URL + path`, as the iframe's fetch would send it. */
export function apiRequest(path: string, { method = 'GET', token, body, contentType = 'application/json', headers = {} }: ApiRequestInit = {}): Request {
  const all: Record<string, string> = { ...headers };
  if (token !== undefined) all.authorization = `JWT ${token}`;
  if (body !== undefined) all['content-type'] = contentType;
  return new Request(APP_URL + path, { method, headers: all, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Token lifetimes around the real clock, for code that reads the time itself (the routes). */
export function liveClaims(): { iat: number; exp: number } {
  const now = Math.floor(Date.now() / 1000);
  return { iat: now - 5, exp: now + 170 };
}

/**
 * Points the app's configuration at a test database, as a fresh process would see it: DATABASE_URL, APP_URL
 * and ENCRYPTION_KEY stubbed, modules reset so `getConfig()` and the default stores are created anew. Returns
 * a tenant store sealing with the same key, to install tenants the routes can read. Call `vi.unstubAllEnvs()`
 * and `disconnectAppDb()` afterwards.
 */
export async function useAppEnvironment(t: DatabaseContext) {
  const key = newKey();
  vi.resetModules();
  // tenantStore() lives on globalThis (every route shares it), so a module reset keeps it, with
  // the previous database and key: drop it so this environment's is created.
  delete (globalThis as { __connectNextTenantStore?: unknown }).__connectNextTenantStore;
  vi.stubEnv('DATABASE_URL', t.url);
  vi.stubEnv('APP_URL', APP_URL);
  vi.stubEnv('ENCRYPTION_KEY', key);
  vi.stubEnv('NODE_ENV', 'test');
  return t.newStore(keyRing(key));
}

/** Closes the client `getDb()` opened for the stubbed DATABASE_URL. */
export async function disconnectAppDb(): Promise<void> {
  const { getDb } = await import('@/lib/db/client');
  await getDb().$disconnect();
}

/**
 * For each test: the app's configuration pointed at `t`'s database (useAppEnvironment) and one freshly
 * installed tenant; environment and connections cleaned up afterwards. Read `.store` and `.tenant` inside tests.
 */
export function withInstalledTenant(t: DatabaseContext, prefix: string) {
  const current = {} as { store: Awaited<ReturnType<typeof useAppEnvironment>>; tenant: Tenant };
  beforeEach(async () => {
    current.store = await useAppEnvironment(t);
    const payload = installPayload({ clientKey: `${prefix}-${Math.random().toString(36).slice(2)}` });
    current.tenant = await current.store.saveInstall(payload, { iat: Math.floor(Date.now() / 1000) - 60 });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  // getDb() keeps one client per DATABASE_URL across module resets; close it once this database is done.
  afterAll(async () => {
    await useAppEnvironment(t);
    await disconnectAppDb();
    vi.unstubAllEnvs();
  });
  return current;
}
