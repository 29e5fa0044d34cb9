/**
 * The simulator's personal data reporting API, both doors, over real HTTP, called by the app's own clients
 * (lib/privacy/doors.ts), and its scheduled trigger checked with the app's own FIT verifier.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet } from 'jose';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyForgeInvocationToken } from '@/lib/forge/invocation-token';
import { forgeSiteClaims } from '@/lib/forge/site-claims';
import { connectReportEndpoint, forgeReportEndpoint } from '@/lib/privacy/doors';
import { reportAccounts } from '@/lib/privacy/report-accounts';
import { parseHostConfig } from '../../host/lib/config.mjs';
import { installForgeApp, runScheduledTriggers } from '../../host/lib/forge.mjs';
import { answerReport, changeAccount, rateLimitReports, REPORT_LIMIT, TEST_ACCOUNTS } from '../../host/lib/privacy.mjs';
import { startServer } from '../../host/lib/server.mjs';
import { Simulator } from '../../host/lib/simulator.mjs';
import { forgeJwks } from '../../host/lib/tokens.mjs';
import { installDirectly, testDescriptor } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const MANIFEST = path.join(ROOT, 'forge/manifest.yml');
const APP_ID: string = parse(readFileSync(MANIFEST, 'utf8')).app.id;
const AT = '2026-12-01T10:00:00.000Z';

let remote: Server;
let remoteUrl: string;
let received: { url: string; headers: IncomingMessage['headers'] }[] = [];
beforeAll(async () => {
  remote = createServer((req, res) => {
    received.push({ url: req.url!, headers: req.headers });
    req.resume();
    res.writeHead(req.url === '/api/forge/privacy-report' ? 200 : 204, { 'content-type': 'application/json' }).end(req.url === '/api/forge/privacy-report' ? '{}' : undefined);
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => remote.close(() => resolve())));
beforeEach(() => {
  received = [];
});

function simulator(port: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'privacy-host-test-'));
  return new Simulator(parseHostConfig({ HOST_DATA_DIR: dir, HOST_LOG: 'silent', HOST_PORT: String(port), APP_URL: remoteUrl, HOST_FORGE_MANIFEST: MANIFEST, HOST_FORGE_RETRY_DELAY_MS: '0' }, ROOT));
}
const body = (accounts: unknown) => JSON.stringify({ accounts });
const account = (accountId: string, updatedAt = AT) => ({ accountId, updatedAt });

describe('report-accounts answers (either door)', () => {
  const sim = simulator(4998);
  const alice = sim.store.getSite('acme')!.users[0].accountId;

  it('204 when no reported account changed; Atlassian\'s active test id is always active', () => {
    expect(answerReport(sim, body([account(alice), account(TEST_ACCOUNTS.active)]))).toMatchObject({ status: 204 });
  });

  it('200 closed for a closed account and for Atlassian\'s closed test id, naming only those', () => {
    changeAccount(sim, alice, 'close');
    const answer = answerReport(sim, body([account(alice), account(TEST_ACCOUNTS.closed), account('557058:other')]));
    expect(answer).toMatchObject({ status: 200, body: { accounts: [{ accountId: alice, status: 'closed' }, { accountId: TEST_ACCOUNTS.closed, status: 'closed' }] } });
    changeAccount(sim, alice, 'reopen');
  });

  it('200 updated only when the profile changed after the reported updatedAt', () => {
    changeAccount(sim, alice, 'update');
    expect(answerReport(sim, body([account(alice, '2000-01-01T00:00:00Z')]))).toMatchObject({ status: 200, body: { accounts: [{ accountId: alice, status: 'updated' }] } });
    expect(answerReport(sim, body([account(alice, '2999-01-01T00:00:00Z')]))).toMatchObject({ status: 204 });
    changeAccount(sim, alice, 'reopen');
  });

  it('accepts 90 accounts, refuses 91 and 0 with 400', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => account(`557058:a${i}`));
    expect(REPORT_LIMIT).toBe(90);
    expect(answerReport(sim, body(many(90))).status).toBe(204);
    expect(answerReport(sim, body(many(91))).status).toBe(400);
    expect(answerReport(sim, body([])).status).toBe(400);
  });

  it('refuses an updatedAt that is not RFC 3339 (no offset, date only, epoch) with 400', () => {
    for (const updatedAt of ['2026-12-01T10:00:00', '2026-12-01', '1764583200000', '']) {
      expect(answerReport(sim, body([account(alice, updatedAt)])).status, updatedAt).toBe(400);
    }
    expect(answerReport(sim, body([account(alice, '2026-12-01T10:00:00+01:00')])).status).toBe(204);
    expect(answerReport(sim, 'not json').status).toBe(400);
  });

  it('answers 429 with Retry-After when told to rate-limit, then normally again', () => {
    rateLimitReports(sim, 1, 120);
    expect(answerReport(sim, body([account(alice)]))).toMatchObject({ status: 429, headers: { 'retry-after': '120' } });
    expect(answerReport(sim, body([account(alice)])).status).toBe(204);
  });
});

describe('both doors over HTTP, with the app\'s own clients', () => {
  let sim: any;
  let server: { close: () => Promise<void> };
  beforeAll(async () => {
    sim = simulator(4997);
    server = await startServer(sim);
  });
  afterAll(() => server.close());

  it('Connect: a JWT signed as the app (qsh checked) is answered; a wrong secret is 401', async () => {
    const { site, installation } = installDirectly(sim, testDescriptor());
    changeAccount(sim, site.users[0].accountId, 'close');
    const tenant = { clientKey: installation.clientKey, baseUrl: `${sim.config.hostUrl}/sites/acme`, sharedSecret: installation.sharedSecret, oauthClientId: null };
    const answer = await reportAccounts(connectReportEndpoint(tenant, { appKey: installation.appKey }), [account(site.users[0].accountId), account(site.users[1].accountId)]);
    expect(answer).toEqual({ kind: 'answered', updates: [{ accountId: site.users[0].accountId, status: 'closed' }], cycleSeconds: undefined });
    await expect(reportAccounts(connectReportEndpoint({ ...tenant, sharedSecret: 'wrong' }, { appKey: installation.appKey }), [account(site.users[1].accountId)])).rejects.toMatchObject({ code: 'PRODUCT_UNAUTHORIZED' });
    changeAccount(sim, site.users[0].accountId, 'reopen');
  });

  it('Forge: the scheduled trigger sends a core:endpoint FIT without principal and a system token that reports', async () => {
    const site = sim.store.getSite('acme')!;
    await installForgeApp(sim, site);
    received = [];
    await runScheduledTriggers(sim, site);
    const call = received.find((r) => r.url === '/api/forge/privacy-report')!;
    expect(call).toBeDefined();
    const fit = String(call.headers.authorization).replace(/^Bearer /, '');
    const invocation = await verifyForgeInvocationToken(fit, { appId: APP_ID, keys: createLocalJWKSet(forgeJwks(sim.forgeKey)) as never });
    // A backend invocation, as Forge signs it: no principal, no context; the site only in app.apiBaseUrl.
    expect(invocation).toMatchObject({ module: { type: 'core:endpoint', key: 'forge-privacy-report' }, accountId: undefined, cloudId: undefined, context: undefined });
    expect(invocation.apiBaseUrl).toBe(`${sim.config.hostUrl}/forge-api/ex/jira/${site.cloudId}`);
    expect(forgeSiteClaims(invocation).cloudId).toBe(site.cloudId);
    const systemToken = String(call.headers['x-forge-oauth-system']);
    expect(systemToken).toMatch(/\S/);

    changeAccount(sim, site.users[1].accountId, 'close');
    const forge = { invocation, appSystemToken: systemToken, appUserToken: undefined };
    const answer = await reportAccounts(forgeReportEndpoint(forge, { allowLocalApi: true }), [account(site.users[1].accountId)]);
    expect(answer).toMatchObject({ kind: 'answered', updates: [{ accountId: site.users[1].accountId, status: 'closed' }] });
    await expect(reportAccounts(forgeReportEndpoint({ ...forge, appSystemToken: 'not-minted' }, { allowLocalApi: true }), [account(site.users[1].accountId)])).rejects.toMatchObject({ code: 'PRODUCT_UNAUTHORIZED' });
  });
});
