/**
 * Forge sites for the door tests: installations with their own installationId, cloudId and site URL, FITs
 * Forge would sign for them (a Custom UI invocation by one of forge/manifest.yml's UI modules, with a
 * principal and, on the issue panel, an issue; or a backend invocation of an endpoint: events, preUninstall),
 * and the requests the Forge platform sends to the remote.
 */
import { randomUUID } from 'node:crypto';
import { exportSPKI, importJWK, SignJWT, type JWTPayload } from 'jose';
import { APP_ID, fitClaims, signFit, type SigningKey } from './forge-platform';

export const REMOTE_URL = 'https://notes.example.com';

export interface ForgeSite {
  installationId: string;
  cloudId: string;
  siteUrl: string;
}

/** A new Forge installation on a new site (or on `site`'s cloud, for a reinstall). */
export function forgeSite(overrides: Partial<ForgeSite> = {}): ForgeSite {
  const cloudId = randomUUID();
  return {
    installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`,
    cloudId,
    siteUrl: `https://site-${cloudId.slice(0, 8)}.atlassian.net`,
    ...overrides,
  };
}

export interface InvocationOptions {
  /** The user; null for an event (no principal). Default an account id. */
  principal?: string | null;
  /** The issue of an issue panel; undefined for a global page. */
  issueKey?: string;
  /** Extra or replaced claims. */
  claims?: Record<string, unknown>;
  /** `iat` (seconds); the token is valid for 25 s from it. Default now. */
  iat?: number;
}

/** The claims Forge signs for an invocation by `site`. */
export function siteClaims(site: ForgeSite, options: InvocationOptions = {}): JWTPayload {
  const base = fitClaims(options.iat);
  const app = base.app as Record<string, unknown>;
  const extension = options.issueKey
    ? { issue: { key: options.issueKey, id: '10001', type: 'Task' }, project: { key: options.issueKey.split('-')[0], id: '10000', type: 'software' }, type: 'jira:issuePanel' }
    : { type: 'jira:globalPage' };
  // The module that made the call: the issue panel on an issue, else the global page (forge/manifest.yml).
  const module = options.issueKey ? ISSUE_PANEL : GLOBAL_PAGE;
  const claims: JWTPayload = {
    ...base,
    app: { ...app, installationId: site.installationId, apiBaseUrl: `https://api.atlassian.com/ex/jira/${site.cloudId}`, module },
    context: { cloudId: site.cloudId, siteUrl: site.siteUrl, moduleKey: module.key, extension },
    ...options.claims,
  };
  if (options.principal === null) delete claims.principal;
  else if (options.principal !== undefined) claims.principal = options.principal;
  return claims;
}

export function siteFit(key: SigningKey, site: ForgeSite, options: InvocationOptions = {}): Promise<string> {
  return signFit(key, siteClaims(site, options));
}

/** forge/manifest.yml's UI modules (resolver.endpoint notes-ui) and backend endpoints. */
export const ISSUE_PANEL = { type: 'jira:issuePanel', key: 'issue-notes-forge' } as const;
export const GLOBAL_PAGE = { type: 'jira:globalPage', key: 'notes-overview-forge' } as const;
export const EVENTS_ENDPOINT = { type: 'core:endpoint', key: 'forge-events' } as const;
export const UNINSTALL_ENDPOINT = { type: 'core:endpoint', key: 'forge-uninstall' } as const;
export const PRIVACY_ENDPOINT = { type: 'core:endpoint', key: 'forge-privacy-report' } as const;

export interface BackendInvocationOptions {
  /** `app.module`; default the events endpoint. */
  module?: { type: string; key: string };
  /** `iat` (seconds); default now. */
  iat?: number;
  /** Extra or replaced claims (a `principal` or `context` Forge does not send, for refusal tests). */
  claims?: Record<string, unknown>;
}

/**
 * The claims Forge signs for a backend invocation of `site` (an event, a scheduled trigger, preUninstall):
 * `app.module` is core:endpoint with the endpoint's key, the site only in `app.apiBaseUrl`, no `context`, no
 * `principal`. https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-
 */
export function backendClaims(site: ForgeSite, options: BackendInvocationOptions = {}): JWTPayload {
  const { context: _context, principal: _principal, ...base } = fitClaims(options.iat);
  return {
    ...base,
    app: { ...(base.app as Record<string, unknown>), installationId: site.installationId, apiBaseUrl: `https://api.atlassian.com/ex/jira/${site.cloudId}`, module: options.module ?? EVENTS_ENDPOINT },
    ...options.claims,
  };
}

export function backendFit(key: SigningKey, site: ForgeSite, options: BackendInvocationOptions = {}): Promise<string> {
  return signFit(key, backendClaims(site, options));
}

/** A request Forge sends to the remote: `Authorization: Bearer <FIT>` and a JSON body, if any. */
export function forgeCall(path: string, fit: string | undefined, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Request {
  const headers: Record<string, string> = { ...init.headers };
  if (fit !== undefined) headers.authorization = `Bearer ${fit}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return new Request(REMOTE_URL + path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** The forged tokens every Forge endpoint must refuse, each with the code it must answer. */
export async function forgedFits(key: SigningKey, stranger: SigningKey, site: ForgeSite): Promise<{ name: string; token: string; status: number; code: string }[]> {
  const claims = siteClaims(site);
  const pem = await exportSPKI((await importJWK(key.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [
    { name: 'alg none', token: `${b64({ alg: 'none', kid: key.kid })}.${b64(claims)}.`, status: 401, code: 'WRONG_ALGORITHM' },
    { name: 'HS256 with the public key', token: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(pem)), status: 401, code: 'WRONG_ALGORITHM' },
    { name: 'another app (aud)', token: await signFit(key, { ...claims, aud: 'ari:cloud:ecosystem::app/00000000-1111-4222-8333-444444444444' }), status: 401, code: 'WRONG_AUDIENCE' },
    { name: 'another issuer', token: await signFit(key, { ...claims, iss: 'someone-else' }), status: 401, code: 'ISSUER_MISMATCH' },
    { name: 'expired', token: await signFit(key, { ...claims, iat: now - 120, nbf: now - 120, exp: now - 60 }), status: 401, code: 'TOKEN_EXPIRED' },
    { name: 'unknown kid', token: await signFit(stranger, claims), status: 401, code: 'UNKNOWN_KEY' },
    { name: 'Isolated Cloud', token: await signFit(key, { ...claims, icLabel: 'ic-1' }), status: 403, code: 'ISOLATED_CLOUD_UNSUPPORTED' },
  ];
}

export { APP_ID };
