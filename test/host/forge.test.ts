/**
 * The simulator's Forge host against a small fake remote: what it sends is checked with the app's own FIT
 * verifier (lib/forge/invocation-token.ts), over real HTTP, with the sample's real forge/manifest.yml.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createLocalJWKSet, decodeJwt, SignJWT, generateKeyPair } from 'jose';
import { parse } from 'yaml';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createForgeKeySet, verifyForgeInvocationToken } from '@/lib/forge/invocation-token';
import { CONNECT_CLIENT_KEY_PROPERTY, connectPairing } from '@/lib/forge/pairing';
import { parseHostConfig } from '../../host/lib/config.mjs';
import { ForgeManifestError, loadForgeManifest } from '../../host/lib/forge-manifest.mjs';
import { EVENT_MAX_RETRIES, installForgeApp, invokeRemote, resourceOrigin, sendProductEvent, uninstallForgeApp, upgradeConnectToForge } from '../../host/lib/forge.mjs';
import { lifecyclePayload, setEnabled } from '../../host/lib/lifecycle.mjs';
import { startServer } from '../../host/lib/server.mjs';
import { Simulator } from '../../host/lib/simulator.mjs';
import { forgeJwks } from '../../host/lib/tokens.mjs';
import { installDirectly, testDescriptor } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const MANIFEST = path.join(ROOT, 'forge/manifest.yml');
const APP_ID: string = parse(readFileSync(MANIFEST, 'utf8')).app.id;

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The remote: records every request, answers from a queue of statuses (204 when empty). */
let remote: Server;
let remoteUrl: string;
let received: Received[] = [];
let answers: number[] = [];

beforeAll(async () => {
  remote = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    const status = answers.shift() ?? (req.url!.startsWith('/api/forge/notes') ? 200 : 204);
    if (status === 200) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ notes: [] }));
    else res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => remote.close(() => resolve())));
beforeEach(() => {
  received = [];
  answers = [];
});

function simulator(env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forge-host-test-'));
  return new Simulator(parseHostConfig({
    HOST_DATA_DIR: dir, HOST_LOG: 'silent', HOST_PORT: '4999', APP_URL: remoteUrl,
    HOST_FORGE_MANIFEST: MANIFEST, HOST_FORGE_RETRY_DELAY_MS: '0', ...env,
  }, ROOT));
}

/** The app's own verification, with the simulator's JWKS as the key set. */
function verify(sim: any, token: string) {
  return verifyForgeInvocationToken(token, { appId: APP_ID, keys: createLocalJWKSet(forgeJwks(sim.forgeKey)) as never });
}

function bearer(r: Received): string {
  return String(r.headers.authorization).replace(/^Bearer /, '');
}

describe('installing from forge/manifest.yml', () => {
  it('substitutes ${APP_URL} in the remote and refuses a manifest variable that is not set', () => {
    const app = loadForgeManifest(MANIFEST, { APP_URL: 'https://notes.example.com' });
    expect(app.manifest.remotes[0].baseUrl).toBe('https://notes.example.com');
    expect(app.appId).toBe(APP_ID);
    expect(() => loadForgeManifest(MANIFEST, {})).toThrow(ForgeManifestError);
  });

  it('sends avi:forge:installed:app to the trigger endpoint with the FIT Forge signs for it: core:endpoint and the endpoint key, no principal, no context; the system token only', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    const installation = await installForgeApp(sim, site);
    expect(installation.installationId).toMatch(/^ari:cloud:ecosystem::installation\/[0-9a-f-]{36}$/);
    expect(received).toHaveLength(1);
    const [event] = received;
    expect(event).toMatchObject({ method: 'POST', url: '/api/forge/events' });
    expect(JSON.parse(event.body)).toMatchObject({ eventType: 'avi:forge:installed:app', context: { cloudId: site.cloudId }, app: { id: APP_ID } });
    const invocation = await verify(sim, bearer(event));
    expect(invocation).toMatchObject({ appId: APP_ID, installationId: installation.installationId, cloudId: undefined, accountId: undefined, context: undefined, module: { type: 'core:endpoint', key: 'forge-events' } });
    expect(Object.keys(invocation.claims).sort()).toEqual(['app', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf']);
    expect(invocation.apiBaseUrl).toBe(`${sim.config.hostUrl}/forge-api/ex/jira/${site.cloudId}`);
    const exp = Number(invocation.claims.exp), iat = Number(invocation.claims.iat);
    expect(exp - iat).toBe(25);
    // forge-events asks for appSystemToken (to confirm the Connect pairing, lib/forge/pairing.ts); no user, no user token.
    expect(event.headers['x-forge-oauth-system']).toMatch(/^[\w-]{40,}$/);
    expect(event.headers['x-forge-oauth-user']).toBeUndefined();
  });

  it('a FIT signed by another key, or expired, is refused by the app', async () => {
    const sim = simulator();
    await installForgeApp(sim, sim.store.getSite('acme'));
    const claims = decodeJwt(bearer(received[0]));
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: sim.forgeKey.kid }).sign(privateKey);
    await expect(verify(sim, forged)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    const { signInvocationToken } = await import('../../host/lib/tokens.mjs');
    const old = await signInvocationToken({ key: sim.forgeKey, appId: APP_ID, app: claims.app as object, context: {}, now: Math.floor(Date.now() / 1000) - 120 });
    await expect(verify(sim, old)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });
});

describe('invokeRemote from the issue panel', () => {
  it('becomes a FIT-signed request for the user and the issue, with the tokens the endpoint asks for', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    const installation = await installForgeApp(sim, site);
    received = [];
    const user = site.users[1];
    const result = await invokeRemote(sim, site, { appId: APP_ID, moduleKey: 'issue-notes-forge', issueKey: 'NOTE-2', accountId: user.accountId, request: { path: '/api/forge/notes?issueKey=NOTE-2', method: 'GET' } });
    expect(result).toEqual({ success: true, payload: { status: 200, headers: expect.any(Object), body: { notes: [] } } });
    const [call] = received;
    expect(call).toMatchObject({ method: 'GET', url: '/api/forge/notes?issueKey=NOTE-2' });
    const invocation = await verify(sim, bearer(call));
    expect(invocation).toMatchObject({ installationId: installation.installationId, accountId: user.accountId, module: { type: 'jira:issuePanel', key: 'issue-notes-forge' } });
    expect(invocation.context).toMatchObject({ cloudId: site.cloudId, extension: { issue: { key: 'NOTE-2', id: '10002' }, project: { key: 'NOTE', id: '10000' } } });
    // notes-ui asks for both: the app's (issue summary) and the user's (authors' names).
    expect(call.headers['x-forge-oauth-user']).toMatch(/^[\w-]{40,}$/);
    expect(call.headers['x-forge-oauth-system']).toMatch(/^[\w-]{40,}$/);
    expect(call.headers['x-forge-oauth-system']).not.toBe(call.headers['x-forge-oauth-user']);
  });

  it('sends the body as JSON, and drops headers only Forge may set', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    received = [];
    answers = [201];
    const result = await invokeRemote(sim, site, {
      appId: APP_ID, moduleKey: 'issue-notes-forge', issueKey: 'NOTE-1', accountId: site.users[0].accountId,
      request: { path: '/api/forge/notes', method: 'POST', headers: { authorization: 'Bearer forged', 'x-forge-oauth-user': 'forged', 'x-trace': 'ok' }, body: { issueKey: 'NOTE-1', text: 'hi' } },
    });
    expect(result).toMatchObject({ success: true, payload: { status: 201 } });
    const [call] = received;
    expect(JSON.parse(call.body)).toEqual({ issueKey: 'NOTE-1', text: 'hi' });
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['x-trace']).toBe('ok');
    expect(call.headers['x-forge-oauth-user']).not.toBe('forged');
    await expect(verify(sim, bearer(call))).resolves.toBeTruthy();
  });

  it('answers a non-2xx as the bridge does ({ success: false, error }) and keeps paths on the remote', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    answers = [403];
    const call = (path: unknown) => invokeRemote(sim, site, { appId: APP_ID, moduleKey: 'notes-overview-forge', accountId: site.users[0].accountId, request: { path, method: 'DELETE' } });
    await expect(call('/api/forge/notes/1')).resolves.toMatchObject({ success: false, error: { status: 403 } });
    for (const bad of ['//evil.example/x', 'https://evil.example/x', 'api/forge/notes', '/\\evil.example']) {
      await expect(call(bad)).rejects.toThrow(/path must start/);
    }
  });
});

describe('product events', () => {
  it('are retried like Forge: the same payload after 5xx or 429, a fresh valid FIT each time, until a 2xx', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    received = [];
    answers = [503, 429];
    const [delivery] = await sendProductEvent(sim, site, { eventType: 'avi:jira:deleted:issue', issueKey: 'NOTE-1', accountId: site.users[0].accountId });
    expect(delivery.attempts.map((a: { status: number }) => a.status)).toEqual([503, 429, 204]);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(received[0].body)).toMatchObject({ eventType: 'avi:jira:deleted:issue', issue: { id: '10001', key: 'NOTE-1' }, context: { cloudId: site.cloudId } });
    for (const r of received) await expect(verify(sim, bearer(r))).resolves.toMatchObject({ accountId: undefined });
  });

  it('stops after 4 retries, and never retries a 4xx', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    answers = Array(10).fill(500);
    const [failed] = await sendProductEvent(sim, site, { eventType: 'avi:jira:deleted:issue', issueKey: 'NOTE-1', accountId: site.users[0].accountId });
    expect(failed.attempts).toHaveLength(1 + EVENT_MAX_RETRIES);
    answers = [400];
    const [refused] = await sendProductEvent(sim, site, { eventType: 'avi:jira:deleted:issue', issueKey: 'NOTE-1', accountId: site.users[0].accountId });
    expect(refused.attempts.map((a: { status: number }) => a.status)).toEqual([400]);
  });

  it('avi:jira:updated:issue changes the key and says so in changelog.items', async () => {
    const sim = simulator();
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    received = [];
    await sendProductEvent(sim, site, { eventType: 'avi:jira:updated:issue', issueKey: 'NOTE-2', accountId: site.users[0].accountId });
    const body = JSON.parse(received[0].body);
    expect(body.changelog.items).toEqual([expect.objectContaining({ field: 'Key', fromString: 'NOTE-2', toString: 'NOTE-4' })]);
    expect(body.issue).toMatchObject({ id: '10002', key: 'NOTE-4' });
    expect(site.issues.find((i: { id: string }) => i.id === '10002').key).toBe('NOTE-4');
  });
});

describe('Connect → Forge upgrade', () => {
  it('sends installed again with the installationId the Forge installation shares, then stops enabled/disabled', async () => {
    const sim = simulator();
    const { site, installation } = installDirectly(sim, testDescriptor({ baseUrl: remoteUrl }));
    // A plain Connect installation is told nothing about Forge.
    expect(lifecyclePayload(sim, site, installation, 'installed')).not.toHaveProperty('installationId');
    const forge = await upgradeConnectToForge(sim, site, installation.appKey);
    const installed = received.find((r) => r.url === '/installed')!;
    expect(JSON.parse(installed.body)).toMatchObject({ eventType: 'installed', clientKey: installation.clientKey, installationId: forge.installationId });
    expect(forge.installationId).toBe(installation.installationId);
    const upgraded = received.find((r) => r.url === '/api/forge/events')!;
    expect(JSON.parse(upgraded.body).eventType).toBe('avi:forge:upgraded:app');
    await expect(verify(sim, bearer(upgraded))).resolves.toMatchObject({ installationId: forge.installationId });

    received = [];
    await setEnabled(sim, site, installation.appKey, 'disabled');
    await setEnabled(sim, site, installation.appKey, 'enabled');
    expect(received).toEqual([]);
  });
});

describe('the product API for remotes, JWKS and uninstall (over HTTP)', () => {
  let sim: any;
  let server: { close: () => Promise<void> };
  let hostUrl: string;

  beforeEach(async () => {
    const port = String(40000 + Math.floor(Math.random() * 20000));
    hostUrl = `http://127.0.0.1:${port}`;
    sim = simulator({ HOST_PORT: port, HOST_URL: hostUrl });
    server = await startServer(sim);
  });
  afterEach(() => server.close());

  /** A request to 127.0.0.1 with the Host header of one of the simulator's names, as a browser on that name sends. */
  const send = (path: string, host: string, method = 'GET') => new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
    const req = httpRequest(`${hostUrl}${path}`, { method, headers: { host, 'content-type': 'application/json' } }, async (res) => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });

  it('serves the reserved app property with the Connect clientKey of an upgraded installation, read by the app’s pairing check', async () => {
    const { site, installation } = installDirectly(sim, testDescriptor({ baseUrl: remoteUrl }));
    await upgradeConnectToForge(sim, site, installation.appKey);
    const event = received.find((r) => r.url === '/api/forge/events')!;
    const forge = { invocation: await verify(sim, bearer(event)), appSystemToken: String(event.headers['x-forge-oauth-system']), appUserToken: undefined };
    const ask = (request: typeof forge, connectKey = installation.appKey) => connectPairing(request, { connectKey, allowLocalApi: true })!();
    expect(await ask(forge)).toBe(installation.clientKey);
    // The real path and shape: GET /rest/atlassian-connect/1/addons/{addonKey}/properties/{key} → { self, key, value }.
    const { apiBaseUrl } = forge.invocation;
    const answer = await fetch(`${apiBaseUrl}/rest/atlassian-connect/1/addons/${installation.appKey}/properties/${CONNECT_CLIENT_KEY_PROPERTY}`, { headers: { authorization: `Bearer ${forge.appSystemToken}` } });
    expect(await answer.json()).toEqual({ self: expect.stringContaining(`/rest/atlassian-connect/1/addon/${installation.appKey}/properties/${CONNECT_CLIENT_KEY_PROPERTY}`), key: CONNECT_CLIENT_KEY_PROPERTY, value: installation.clientKey });
    // Another app key, or a token that is not the app's: no such property (404 → null). No system token: not askable.
    expect(await ask(forge, 'another.app')).toBeNull();
    expect(connectPairing({ ...forge, appSystemToken: undefined })).toBeUndefined();
    expect(await ask({ ...forge, appSystemToken: 'not-a-token-it-minted' })).toBeUndefined();
  });

  it('a Forge installation with no Connect app behind it has no Connect clientKey (404)', async () => {
    await installForgeApp(sim, sim.store.getSite('acme'));
    const event = received.find((r) => r.url === '/api/forge/events')!;
    const forge = { invocation: await verify(sim, bearer(event)), appSystemToken: String(event.headers['x-forge-oauth-system']), appUserToken: undefined };
    expect(await connectPairing(forge, { connectKey: 'connect-next', allowLocalApi: true })!()).toBeNull();
  });

  it('publishes the Forge key where the app fetches it (createForgeKeySet)', async () => {
    await installForgeApp(sim, sim.store.getSite('acme'));
    const keys = createForgeKeySet({ jwksUrl: `${hostUrl}/forge/jwks.json` });
    await expect(verifyForgeInvocationToken(bearer(received[0]), { appId: APP_ID, keys })).resolves.toMatchObject({ appId: APP_ID });
  });

  it('answers REST calls made with a token it minted, refuses others and any token after uninstall', async () => {
    const site = sim.store.getSite('acme');
    await installForgeApp(sim, site);
    received = [];
    await invokeRemote(sim, site, { appId: APP_ID, moduleKey: 'issue-notes-forge', issueKey: 'NOTE-1', accountId: site.users[0].accountId, request: { path: '/api/forge/notes', method: 'GET' } });
    const userToken = String(received[0].headers['x-forge-oauth-user']);
    const { apiBaseUrl } = decodeJwt(bearer(received[0])).app as { apiBaseUrl: string };
    const get = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

    const issue = await get(`${apiBaseUrl}/rest/api/3/issue/NOTE-1?fields=summary`, userToken);
    expect(issue.status).toBe(200);
    expect((await issue.json()).fields.summary).toBe(site.issues[0].summary);
    const user = await get(`${apiBaseUrl}/rest/api/3/user?accountId=${encodeURIComponent(site.users[1].accountId)}`, userToken);
    expect((await user.json()).displayName).toBe(site.users[1].displayName);

    expect((await get(`${apiBaseUrl}/rest/api/3/issue/NOTE-1`, 'not-a-token-it-minted')).status).toBe(401);
    const other = sim.store.createSite('globex');
    expect((await get(`${hostUrl}/forge-api/ex/jira/${other.cloudId}/rest/api/3/issue/NOTE-1`, userToken)).status).toBe(401);

    received = [];
    await uninstallForgeApp(sim, site);
    expect(received.map((r) => r.url)).toEqual(['/api/forge/uninstall']);
    await expect(verify(sim, bearer(received[0]))).resolves.toMatchObject({ module: { type: 'core:endpoint', key: 'forge-uninstall' }, accountId: undefined, context: undefined });
    expect((await get(`${apiBaseUrl}/rest/api/3/issue/NOTE-1`, userToken)).status).toBe(401);
    await expect(invokeRemote(sim, site, { appId: APP_ID, moduleKey: 'issue-notes-forge', issueKey: 'NOTE-1', accountId: site.users[0].accountId, request: { path: '/api/forge/notes', method: 'GET' } })).rejects.toThrow(/installed/);
  });

  it('serves Custom UI resources from the other loopback name with the bridge first, and nothing outside the folder', async () => {
    const installation = await installForgeApp(sim, sim.store.getSite('acme'));
    const origin = resourceOrigin(hostUrl);
    expect(new URL(origin).hostname).toBe('localhost');
    const base = `/forge/cdn/${installation.installationId.split('/').pop()}/notes-panel`;
    const index = await send(`${base}/index.html`, new URL(origin).host);
    expect(index.status).toBe(200);
    // Forge's Custom UI policy (host/lib/custom-ui-csp.mjs, test/host/custom-ui-csp.test.ts), framed by the product.
    const policy = String(index.headers['content-security-policy']).split('; ');
    expect(policy.find((d) => d.startsWith('frame-ancestors '))?.split(' ')).toContain(hostUrl);
    expect(policy).toContain('form-action \'self\'');
    expect(index.body.indexOf('/forge/bridge.js')).toBeLessThan(index.body.indexOf('main.js'));
    expect((await send(`${base}/..%2F..%2Fmanifest.yml`, new URL(origin).host)).status).toBe(404);
  });

  it('keeps Custom UI on its own origin: resources only there, nothing else of the product there', async () => {
    const installation = await installForgeApp(sim, sim.store.getSite('acme'));
    const resources = `/forge/cdn/${installation.installationId.split('/').pop()}/notes-panel/index.html`;
    const resourceHost = new URL(resourceOrigin(hostUrl)).host;
    const status = async (path: string, host: string, method = 'GET') => (await send(path, host, method)).status;
    expect(await status(resources, resourceHost)).toBe(200);
    expect(await status(resources, new URL(hostUrl).host)).toBe(404);
    expect(await status('/sites/acme/_forge/invoke', resourceHost, 'POST')).toBe(404);
    expect(await status('/sites/acme/_admin/forge-uninstall', resourceHost, 'POST')).toBe(404);
    expect(await status('/sites.json', resourceHost)).toBe(404);
  });
});

it('refuses a manifest without a registered app.id', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forge-manifest-'));
  const copy = path.join(dir, 'manifest.yml');
  writeFileSync(copy, readFileSync(MANIFEST, 'utf8').replace(APP_ID, 'not-an-app-id'));
  expect(() => loadForgeManifest(copy, { APP_URL: 'https://x.example' })).toThrow(/app\.id/);
});
