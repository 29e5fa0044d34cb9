/**
 * The simulator's license switch and rate limit (host/lib/license.mjs, host/lib/rate-limit.mjs), driven
 * over HTTP as the dashboard and CLI drive them, and met by the app's real code: the Connect host client and
 * the Forge product client retry the simulated 429s, and the app reads the license the simulator signs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeJwt } from 'jose';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostClient } from '@/lib/connect/host-client';
import { connectLicense } from '@/lib/connect/license';
import type { RetryPolicy } from '@/lib/connect/rate-limit';
import { verifyForgeInvocationToken } from '@/lib/forge/invocation-token';
import { forgeProductClient } from '@/lib/forge/product-client';
import { forgeLicense } from '@/lib/forge/site-claims';
import { parseHostConfig } from '../../host/lib/config.mjs';
import { installForgeApp, invokeRemote } from '../../host/lib/forge.mjs';
import { iframeSrc, moduleContext } from '../../host/lib/iframe.mjs';
import { startServer } from '../../host/lib/server.mjs';
import { Simulator } from '../../host/lib/simulator.mjs';
import { forgeJwks } from '../../host/lib/tokens.mjs';
import { APP_KEY, installDirectly, testDescriptor } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const MANIFEST = path.join(ROOT, 'forge/manifest.yml');
const APP_ID: string = parse(readFileSync(MANIFEST, 'utf8')).app.id;

/** The remote: records the FIT and tokens of every invocation; answers 200 `{ notes: [] }`. */
let remote: Server;
let remoteUrl: string;
let received: { url: string; headers: IncomingMessage['headers'] }[] = [];
beforeAll(async () => {
  remote = createServer(async (req, res) => {
    for await (const _ of req);
    received.push({ url: req.url!, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"notes":[]}');
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => remote.close(() => resolve())));

let sim: any;
let server: { close: () => Promise<void> };
let hostUrl: string;
beforeEach(async () => {
  received = [];
  const port = String(40000 + Math.floor(Math.random() * 20000));
  hostUrl = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marketplace-host-test-'));
  sim = new Simulator(parseHostConfig({
    HOST_DATA_DIR: dir, HOST_LOG: 'silent', HOST_PORT: port, HOST_URL: hostUrl, APP_URL: remoteUrl,
    HOST_FORGE_MANIFEST: MANIFEST, HOST_FORGE_RETRY_DELAY_MS: '0',
  }, ROOT));
  server = await startServer(sim);
});
afterEach(() => server.close());

/** A dashboard/CLI action as JSON. */
async function admin(action: string, fields: Record<string, unknown>) {
  const res = await fetch(`${hostUrl}/sites/acme/_admin/${action}`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(fields) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A fake clock and sleep: waits are recorded, not slept. */
function fakeTime() {
  const state = { clock: Date.now(), waits: [] as number[] };
  const policy: RetryPolicy = { now: () => state.clock, sleep: async (ms) => void (state.waits.push(ms), (state.clock += ms)), random: () => 0 };
  return { state, policy };
}

describe('the license switch', () => {
  it('Connect: unset and inactive send lic=none and context.license.active false; active sends lic=active and true', async () => {
    const { site, installation, siteBaseUrl } = installDirectly(sim, testDescriptor({ baseUrl: remoteUrl }));
    const module = { key: 'notes-panel', url: '/connect/issue-notes?issueKey={issue.key}' };
    const seen = () => {
      const { src } = iframeSrc({ site, installation, module, issue: site.issues[0], accountId: site.users[0].accountId, siteBaseUrl });
      const context = moduleContext(site, site.issues[0], siteBaseUrl);
      return { lic: new URL(src).searchParams.get('lic'), context: context.license, app: connectLicense(context, new URL(src).searchParams) };
    };
    expect(seen()).toEqual({ lic: 'none', context: { active: false }, app: 'inactive' });
    expect((await admin('license', { license: 'active' })).body).toMatchObject({ ok: true, license: 'active' });
    expect(seen()).toEqual({ lic: 'active', context: { active: true }, app: 'active' });
    await admin('license', { license: 'inactive' });
    expect(seen()).toEqual({ lic: 'none', context: { active: false }, app: 'inactive' });
  });

  it('Forge: no app.license until one is set; then the FIT carries isActive, and the app reads it', async () => {
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    const invoke = async () => {
      received = [];
      await invokeRemote(sim, site, { appId: APP_ID, moduleKey: 'issue-notes-forge', issueKey: 'NOTE-1', accountId: site.users[0].accountId, request: { path: '/api/forge/notes', method: 'GET' } });
      const fit = String(received[0].headers.authorization).replace(/^Bearer /, '');
      const invocation = await verifyForgeInvocationToken(fit, { appId: APP_ID, keys: createLocalJWKSet(forgeJwks(sim.forgeKey)) as never });
      return { claim: (decodeJwt(fit).app as { license?: unknown }).license, app: forgeLicense(invocation.license) };
    };
    expect(await invoke()).toEqual({ claim: undefined, app: undefined });
    await admin('license', { license: 'inactive' });
    expect(await invoke()).toEqual({ claim: { isActive: false, type: 'commercial', isEvaluation: false }, app: 'inactive' });
    await admin('license', { license: 'active' });
    expect((await invoke()).app).toBe('active');
    await admin('license', { license: 'unset' });
    expect(await invoke()).toEqual({ claim: undefined, app: undefined });
  });

  it('HOST_LICENSE sets the license every new site starts with; only active or inactive', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'marketplace-host-test-'));
    const licensed = new Simulator(parseHostConfig({ HOST_DATA_DIR: dir, HOST_LOG: 'silent', HOST_PORT: '4999', APP_URL: remoteUrl, HOST_LICENSE: 'active' }, ROOT));
    expect(licensed.store.getSite('acme').license).toBe('active');
    expect(licensed.store.createSite('globex').license).toBe('active');
    expect(sim.store.getSite('acme').license).toBeUndefined();
    expect(() => parseHostConfig({ HOST_LICENSE: 'none' }, ROOT)).toThrow(/HOST_LICENSE/);
  });

  it('refuses a state it does not know', async () => {
    expect(await admin('license', { license: 'expired' })).toMatchObject({ status: 400, body: { ok: false } });
  });
});

describe('the rate limit switch', () => {
  it('Connect: the next 2 REST calls answer 429 with Jira’s headers; the app’s host client waits and succeeds on the 3rd', async () => {
    const { installation, siteBaseUrl } = installDirectly(sim, testDescriptor({ baseUrl: remoteUrl }));
    const tenant = { clientKey: installation.clientKey, baseUrl: siteBaseUrl, sharedSecret: installation.sharedSecret, oauthClientId: installation.oauthClientId };
    expect((await admin('rate-limit', { calls: 2, retryAfter: 3 })).body).toMatchObject({ ok: true, rateLimit: { remaining: 2, retryAfterSeconds: 3, status: 429 } });

    const first = await hostClient(tenant, { appKey: APP_KEY, retry: { maxRetries: 0 } }).asApp().fetch('/rest/api/3/myself');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(first.headers.get('x-ratelimit-limit')).toBe('100');
    expect(first.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
    expect(first.headers.get('ratelimit-reason')).toBe('jira-burst-based');

    const { state, policy } = fakeTime();
    const me = await hostClient(tenant, { appKey: APP_KEY, retry: policy }).asApp().getJson<{ accountType: string }>('/rest/api/3/myself');
    expect(me.accountType).toBe('app');
    expect(state.waits).toEqual([3000]);
    // The limit is spent: the next call goes straight through.
    expect((await hostClient(tenant, { appKey: APP_KEY, retry: { maxRetries: 0 } }).asApp().fetch('/rest/api/3/myself')).status).toBe(200);
  });

  it('Forge: 503 with Retry-After on the remote’s API is retried by the app’s Forge product client', async () => {
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    received = [];
    await invokeRemote(sim, site, { appId: APP_ID, moduleKey: 'issue-notes-forge', issueKey: 'NOTE-1', accountId: site.users[0].accountId, request: { path: '/api/forge/notes', method: 'GET' } });
    const fit = String(received[0].headers.authorization).replace(/^Bearer /, '');
    const invocation = await verifyForgeInvocationToken(fit, { appId: APP_ID, keys: createLocalJWKSet(forgeJwks(sim.forgeKey)) as never });
    const forge = { invocation, appSystemToken: received[0].headers['x-forge-oauth-system'] as string | undefined, appUserToken: received[0].headers['x-forge-oauth-user'] as string | undefined };

    await admin('rate-limit', { calls: 2, retryAfter: 1, status: 503 });
    const { state, policy } = fakeTime();
    const issue = await forgeProductClient(forge, { allowLocalApi: true, retry: policy }).asUser(site.users[0].accountId).getJson<{ key: string }>('/rest/api/3/issue/NOTE-1?fields=summary');
    expect(issue.key).toBe('NOTE-1');
    expect(state.waits).toEqual([1000, 1000]);
  });

  it('refuses out-of-range settings: 1001 calls, a negative or fractional Retry-After, a status other than 429/503', async () => {
    for (const fields of [{ calls: 1001, retryAfter: 1 }, { calls: 1, retryAfter: -1 }, { calls: 1, retryAfter: 1.5 }, { calls: 1, retryAfter: 1, status: 500 }]) {
      expect((await admin('rate-limit', fields)).status).toBe(400);
    }
    expect((await admin('rate-limit', { calls: 1000, retryAfter: 3600 })).status).toBe(200);
    expect((await admin('rate-limit', { calls: 0 })).body).toMatchObject({ ok: true, rateLimit: null });
  });
});
