/**
 * The Connect iframe pages (app/connect/<page>/route.ts → lib/http/iframe-page.ts), called as Next.js calls
 * them: a page load is answered with the page's shell only when its JWT verifies in strict mode (bound to
 * this path and query) and the product framing it is the tenant's own site; anything else gets the error
 * page with its status and code, and none of the app's scripts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachDatabase, installPayload, type DatabaseContext } from '../helpers/db';
import { APP_URL, contextToken, requestToken } from '../helpers/jwt';
import { liveClaims, withInstalledTenant } from '../notes/helpers';
import { IFRAME_ASSETS } from '@/lib/http/iframe-assets.generated';
import type { Tenant } from '@/lib/tenants/types';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The URL Jira builds for the issue panel of `tenant`'s site (`xdm_e` and `cp` name the product). */
const panelUrl = (tenant: Pick<Tenant, 'baseUrl'>, productOrigin = tenant.baseUrl) =>
  `${APP_URL}/connect/issue-notes?issueKey=NOTE-1&projectKey=NOTE&xdm_e=${encodeURIComponent(productOrigin)}&cp=`;

async function loadPanel(url: string, jwt?: string): Promise<Response> {
  const route = await import('@/app/connect/issue-notes/route');
  return route.GET(new Request(jwt === undefined ? url : `${url}&jwt=${jwt}`));
}

/** An error page: its status, its code, framed only by product hosts, not cached, and none of the app's code. */
async function expectRefused(response: Response, status: number, code: string) {
  const html = await response.text();
  expect({ status: response.status, code: html.match(/<code>([A-Z_]+)<\/code>/)?.[1] }).toEqual({ status, code });
  expect(response.headers.get('content-security-policy')).toBe('frame-ancestors https://*.atlassian.net https://*.atlassian-dev.net https://*.jira.com https://*.jira-dev.com');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(html).not.toContain('<script');
}

describe('the shells name files the UI build wrote', () => {
  it.each(Object.entries(IFRAME_ASSETS))('%s', (_, assets) => {
    for (const file of [assets.script, ...assets.imports, ...assets.styles]) {
      expect(file).toMatch(/^\/ui\/connect\/[\w/-]+-[A-Z0-9]{8}\.(js|css)$/);
      expect(existsSync(path.join(ROOT, 'public', file))).toBe(true);
    }
  });
});

forEachDatabase('Connect iframe pages', (t: DatabaseContext) => {
  const app = withInstalledTenant(t, 'page');

  it('a verified page load gets the shell: its bundle, framed only by the tenant’s site, never cached', async () => {
    const url = panelUrl(app.tenant);
    const response = await loadPanel(url, requestToken(app.tenant, 'GET', url, { claims: liveClaims() }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(`frame-ancestors ${app.tenant.baseUrl}`);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const html = await response.text();
    const assets = IFRAME_ASSETS['issue-notes'];
    expect(html).toContain(`<script type="module" src="${assets.script}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${assets.styles[0]}">`);
    expect(html).toContain('<div class="ac-content"');
  });

  it('the general page is verified the same way and loads its own bundle', async () => {
    const route = await import('@/app/connect/overview/route');
    const url = `${APP_URL}/connect/overview?xdm_e=${encodeURIComponent(app.tenant.baseUrl)}&cp=`;
    const accepted = await route.GET(new Request(`${url}&jwt=${requestToken(app.tenant, 'GET', url, { claims: liveClaims() })}`));
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain(`<script type="module" src="${IFRAME_ASSETS.overview.script}"></script>`);
    // The issue panel's token does not open the general page: the qsh names the path.
    const panel = panelUrl(app.tenant);
    await expectRefused(await route.GET(new Request(`${url}&jwt=${requestToken(app.tenant, 'GET', panel, { claims: liveClaims() })}`)), 401, 'QSH_MISMATCH');
  });

  it('a custom domain (displayUrl) may frame the page too', async () => {
    const payload = installPayload({ clientKey: `page-display-${Math.random().toString(36).slice(2)}`, displayUrl: 'https://notes.example.org' });
    const tenant = await app.store.saveInstall(payload, { iat: Math.floor(Date.now() / 1000) - 60 });
    const url = panelUrl(tenant, 'https://notes.example.org');
    const response = await loadPanel(url, requestToken(tenant, 'GET', url, { claims: liveClaims() }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(`frame-ancestors ${tenant.baseUrl} https://notes.example.org`);
  });

  it('no token: 401 TOKEN_MISSING', async () => {
    await expectRefused(await loadPanel(panelUrl(app.tenant)), 401, 'TOKEN_MISSING');
  });

  it('an expired token: 401 TOKEN_EXPIRED', async () => {
    const url = panelUrl(app.tenant);
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await loadPanel(url, requestToken(app.tenant, 'GET', url, { claims: { iat: now - 400, exp: now - 200 } })), 401, 'TOKEN_EXPIRED');
  });

  it('a token signed with another secret: 401 BAD_SIGNATURE', async () => {
    const url = panelUrl(app.tenant);
    await expectRefused(await loadPanel(url, requestToken(app.tenant, 'GET', url, { claims: liveClaims(), secret: 'not-the-shared-secret-0123456789abcdef' })), 401, 'BAD_SIGNATURE');
  });

  it('a context token (the frontend’s, not bound to the URL): 401 QSH_MISMATCH', async () => {
    await expectRefused(await loadPanel(panelUrl(app.tenant), contextToken(app.tenant, liveClaims())), 401, 'QSH_MISMATCH');
  });

  it('a query changed after signing: 401 QSH_MISMATCH', async () => {
    const url = panelUrl(app.tenant);
    const jwt = requestToken(app.tenant, 'GET', url, { claims: liveClaims() });
    await expectRefused(await loadPanel(url.replace('issueKey=NOTE-1', 'issueKey=NOTE-2'), jwt), 401, 'QSH_MISMATCH');
  });

  it('a URL naming another product host, signed by the tenant itself: 403 FORBIDDEN', async () => {
    // A site signs its own iframe URLs, so it could name any host in xdm_e; the page would load all.js from there.
    const url = panelUrl(app.tenant, 'https://evil.example.com');
    await expectRefused(await loadPanel(url, requestToken(app.tenant, 'GET', url, { claims: liveClaims() })), 403, 'FORBIDDEN');
  });

  it('a URL naming no product host: 400 BAD_REQUEST', async () => {
    const url = `${APP_URL}/connect/issue-notes?issueKey=NOTE-1&projectKey=NOTE`;
    await expectRefused(await loadPanel(url, requestToken(app.tenant, 'GET', url, { claims: liveClaims() })), 400, 'BAD_REQUEST');
  });

  it('after uninstall: 401 TENANT_UNINSTALLED, even with a token signed before', async () => {
    const url = panelUrl(app.tenant);
    const jwt = requestToken(app.tenant, 'GET', url, { claims: liveClaims() });
    await app.store.markUninstalled(app.tenant.clientKey, { iat: Math.floor(Date.now() / 1000) - 10 });
    await expectRefused(await loadPanel(url, jwt), 401, 'TENANT_UNINSTALLED');
  });
});
