/** Shared by the end-to-end specs: where the simulator runs and how to drive it (e2e/serve.mjs starts it). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl } from 'atlassian-jwt';

export const ROOT = path.resolve(__dirname, '..');
export const HOST_PORT = process.env.E2E_HOST_PORT ?? '4100';
export const HOST_URL = `http://127.0.0.1:${HOST_PORT}`;
export const HOST_DATA_DIR = path.resolve(ROOT, process.env.E2E_HOST_DATA_DIR ?? '.data/e2e/host');
export const JWT_PATTERN = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

export interface SiteSummary {
  name: string;
  baseUrl: string;
  users: { accountId: string; displayName: string }[];
  installations: { appKey: string; state: string; clientKey: string; lastError: string | null }[];
}

export async function createSite(request: APIRequestContext, prefix: string): Promise<SiteSummary> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  const response = await request.post(`${HOST_URL}/sites`, { data: { name }, headers: { accept: 'application/json' } });
  expect(response.status()).toBe(201);
  return (await response.json()).site;
}

export async function site(request: APIRequestContext, name: string): Promise<SiteSummary> {
  const { sites } = await (await request.get(`${HOST_URL}/sites.json`)).json();
  return sites.find((s: SiteSummary) => s.name === name);
}

export async function admin(request: APIRequestContext, siteName: string, action: string, data: Record<string, string> = {}) {
  const response = await request.post(`${HOST_URL}/sites/${siteName}/_admin/${action}`, { data, headers: { accept: 'application/json' } });
  return { status: response.status(), body: await response.json() };
}

/** What the simulator keeps on disk, secrets included: only tests that must sign as the app read it. */
export function hostState(): { sites: Record<string, { installations: Record<string, { sharedSecret: string; clientKey: string }> }> } {
  return JSON.parse(readFileSync(path.join(HOST_DATA_DIR, 'state.json'), 'utf8'));
}

/** A JWT as an app signs product REST calls, relative to the site's base URL. */
export function appToken(iss: string, sharedSecret: string, method: string, url: string, baseUrl: string): string {
  const now = Math.floor(Date.now() / 1000);
  return encodeSymmetric({ iss, iat: now, exp: now + 60, qsh: createQueryStringHash(fromMethodAndUrl(method, url), false, baseUrl) }, sharedSecret);
}

export function panel(page: Page, moduleKey: string) {
  return page.frameLocator(`iframe[data-module-key="${moduleKey}"]`);
}

export function runCli(args: string[]) {
  return spawnSync(process.execPath, ['host/cli.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', HOST_PORT, HOST_URL },
    encoding: 'utf8',
  });
}
