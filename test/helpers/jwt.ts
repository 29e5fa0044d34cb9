/**
 * Plays the product's side of request authentication for tests: fake tenants, tokens signed with the
 * reference implementation `atlassian-jwt`, and hand-made tokens for everything a product never sends.
 */
import * as ajwt from 'atlassian-jwt';
import { SignJWT, type JWTPayload } from 'jose';
import type { Tenant, TenantState } from '@/lib/tenants/types';

export const APP_URL = 'https://app.example.com';
/** A fixed clock, so expiry tests do not depend on when they run. */
export const NOW = new Date('2026-03-01T12:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

let next = 0;

export function fakeTenant(overrides: Partial<Tenant> = {}): Tenant {
  next++;
  return {
    clientKey: `client-${next}-6f1c2b`,
    siteId: `client-${next}-6f1c2b`,
    installationId: null,
    key: 'com.example.connect-next',
    baseUrl: `https://site-${next}.atlassian.net`,
    displayUrl: null,
    productType: 'jira',
    description: 'Atlassian JIRA',
    sharedSecret: `shared-secret-${next}-d41d8cd98f00b204e9800998ecf8427e`,
    oauthClientId: null,
    serverVersion: null,
    pluginsVersion: null,
    state: 'installed' as TenantState,
    installedAt: NOW,
    enabledAt: null,
    disabledAt: null,
    uninstalledAt: null,
    updatedAt: NOW,
    lastLifecycleIat: null,
    ...overrides,
  };
}

/** A `getTenant` over plain objects, counting lookups. */
export function tenantLookup(...tenants: Tenant[]) {
  const byKey = new Map(tenants.map((t) => [t.clientKey, t]));
  const lookup = async (clientKey: string) => {
    lookup.calls++;
    return byKey.get(clientKey) ?? null;
  };
  lookup.calls = 0;
  return lookup;
}

/** Removes claims set to `undefined`, so a test can drop one with `{ exp: undefined }`. */
function withoutUndefined(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
}

export interface RequestTokenOptions {
  /** Claims to add or override; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Hash this method and URL instead of the request's (to tamper). */
  signedMethod?: string;
  signedUrl?: string;
  baseUrl?: string;
  secret?: string;
}

/** The token a product puts on a request to `url`, computed and signed by atlassian-jwt. */
export function requestToken(tenant: Tenant, method: string, url: string, options: RequestTokenOptions = {}): string {
  const qsh = ajwt.createQueryStringHash(
    ajwt.fromMethodAndUrl(options.signedMethod ?? method, options.signedUrl ?? url),
    false,
    options.baseUrl ?? APP_URL,
  );
  const claims = { iss: tenant.clientKey, sub: '557058:account-id', iat: NOW_S - 5, exp: NOW_S + 175, qsh, ...options.claims };
  return ajwt.encodeSymmetric(withoutUndefined(claims), options.secret ?? tenant.sharedSecret);
}

/** A context token, as `AP.context.getToken()` returns to the app's frontend. */
export function contextToken(tenant: Tenant, claims: Record<string, unknown> = {}): string {
  const all = {
    iss: tenant.clientKey,
    sub: '557058:account-id',
    iat: NOW_S - 5,
    exp: NOW_S + 895,
    qsh: 'context-qsh',
    context: { license: { active: true }, jira: { issue: { key: 'DEMO-1', id: '10001' }, project: { key: 'DEMO', id: '10000' } } },
    ...claims,
  };
  return ajwt.encodeSymmetric(withoutUndefined(all), tenant.sharedSecret);
}

/** A request the way a route handler receives it, with the token in the header or the query. */
export function signedRequest(url: string, token: string | undefined, init: { method?: string; via?: 'header' | 'query' } = {}): Request {
  const { method = 'GET', via = 'header' } = init;
  let target = url;
  const headers: Record<string, string> = {};
  if (token !== undefined && via === 'header') headers.authorization = `JWT ${token}`;
  if (token !== undefined && via === 'query') target += (url.includes('?') ? '&' : '?') + `jwt=${token}`;
  return new Request(target, { method, headers });
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS put together by hand, for headers no library will sign (`alg: none`). */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/** Signs with jose, for algorithms atlassian-jwt refuses or would not be chosen by a product. */
export async function joseToken(payload: JWTPayload, alg: string, key: Parameters<SignJWT['sign']>[0], header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg, typ: 'JWT' }).sign(key);
}
