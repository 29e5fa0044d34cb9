/**
 * Personal data reporting through the Connect door, end to end over real HTTP: a loopback server plays the
 * site's `POST /rest/atlassian-connect/latest/report-accounts` and checks each app JWT (qsh included) with
 * atlassian-jwt; the notes live in real SQLite and PostgreSQL databases.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectReportEndpoint, CONNECT_REPORT_PATH } from '@/lib/privacy/doors';
import { parseCyclePeriod, parseRetryAfter, reportAccounts, type ReportEndpoint } from '@/lib/privacy/report-accounts';
import { reportSite } from '@/lib/privacy/report-site';
import { runPrivacyReports } from '@/lib/privacy/run';
import { createNotesStore } from '@/lib/notes/store';
import { DisplayNameCache, defaultDisplayNameCache } from '@/lib/notes/issue-details';
import type { Tenant } from '@/lib/tenants/types';
import { forEachDatabase, installPayload, type DatabaseContext } from '../helpers/db';
import { json, startServer, verifyAppToken, type Hit, type TestServer } from '../helpers/fake-product-api';

const CLOSED = '5be24ba3f91c106033269289';
const ACTIVE = '5be24ad8b1653240376955d2';
const T0 = new Date('2026-12-01T00:00:00.000Z');
const DAY = 24 * 3600 * 1000;

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/** The site's side of report-accounts: verifies the JWT, records each batch, answers what `next` says. */
function reportServer() {
  const state = {
    batches: [] as { accountId: string; updatedAt: string }[][],
    answers: [] as Answer[],
    closed: new Set<string>([CLOSED]),
    updated: new Set<string>(),
    tenant: undefined as Tenant | undefined,
  };
  let server: TestServer;
  const handler = (hit: Hit, res: import('node:http').ServerResponse) => {
    if (hit.method !== 'POST' || hit.url !== CONNECT_REPORT_PATH) return json(res, 404, {});
    verifyAppToken(hit, server.origin, state.tenant!.baseUrl, state.tenant!.sharedSecret);
    const accounts = (JSON.parse(hit.body) as { accounts: { accountId: string; updatedAt: string }[] }).accounts;
    state.batches.push(accounts);
    const scripted = state.answers.shift();
    if (scripted) return json(res, scripted.status, scripted.body ?? {}, scripted.headers);
    const updates = accounts.flatMap((a) =>
      state.closed.has(a.accountId) ? [{ accountId: a.accountId, status: 'closed' }] : state.updated.has(a.accountId) ? [{ accountId: a.accountId, status: 'updated' }] : [],
    );
    if (!updates.length) return res.writeHead(204).end();
    return json(res, 200, { accounts: updates });
  };
  return {
    state,
    async start() {
      server = await startServer(handler);
      return server;
    },
    close: () => server.close(),
    get origin() {
      return server.origin;
    },
  };
}

function ids(n: number, prefix = '557058:acct-'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
}

forEachDatabase('personal data reporting, Connect door', (t: DatabaseContext) => {
  const fake = reportServer();
  let tenant: Tenant;
  let clock: Date;
  const now = () => clock;

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(() => fake.close());

  beforeEach(async () => {
    clock = T0;
    fake.state.batches = [];
    fake.state.answers = [];
    fake.state.updated.clear();
    const payload = installPayload({ clientKey: `c-${Math.random().toString(36).slice(2, 10)}`, baseUrl: fake.origin });
    await t.store.saveInstall(payload, { iat: 1 });
    tenant = (await t.store.markEnabled(payload.clientKey, { iat: 1 }))!;
    fake.state.tenant = tenant;
  });

  const endpoint = (): ReportEndpoint => connectReportEndpoint(tenant);
  async function addNotes(authors: string[], siteId = tenant.siteId, at = T0) {
    const notes = createNotesStore(t.db, { now: () => at });
    for (const authorAccountId of authors) await notes.create(siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId, text: `by ${authorAccountId}` });
  }
  const run = (opts = {}) => reportSite(t.db, tenant.siteId, endpoint(), { now, ...opts });

  it('reports 90 accounts in exactly one signed request, with updatedAt in RFC 3339', async () => {
    await addNotes(ids(90));
    const result = await run();
    expect(result).toMatchObject({ outcome: 'completed', batches: 1, reported: 90 });
    expect(fake.state.batches.map((b) => b.length)).toEqual([90]);
    expect(fake.state.batches[0][0]).toEqual({ accountId: '557058:acct-0000', updatedAt: '2026-12-01T00:00:00.000Z' });
    for (const a of fake.state.batches[0]) expect(a.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  });

  it('reports 91 accounts in two requests: 90, then 1', async () => {
    await addNotes(ids(91));
    const result = await run();
    expect(result).toMatchObject({ outcome: 'completed', batches: 2, reported: 91 });
    expect(fake.state.batches.map((b) => b.length)).toEqual([90, 1]);
    expect(fake.state.batches[1][0].accountId).toBe('557058:acct-0090');
  });

  it('names each account once, with the time of its newest note', async () => {
    const notes = createNotesStore(t.db, { now: () => new Date('2026-11-02T10:00:00.000Z') });
    await notes.create(tenant.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ACTIVE, text: 'old' });
    await createNotesStore(t.db, { now: () => new Date('2026-11-20T08:30:00.000Z') }).create(tenant.siteId, { issueKey: 'NOTE-2', projectKey: 'NOTE', authorAccountId: ACTIVE, text: 'new' });
    await run();
    expect(fake.state.batches).toEqual([[{ accountId: ACTIVE, updatedAt: '2026-11-20T08:30:00.000Z' }]]);
  });

  it('sends nothing for a site that stores no accountId, and completes the cycle', async () => {
    expect(await run()).toMatchObject({ outcome: 'completed', batches: 0 });
    expect(fake.state.batches).toEqual([]);
  });

  it('closed: erases the account\'s notes on this site, keeps everyone else\'s and other sites\'', async () => {
    await addNotes([CLOSED, CLOSED, ACTIVE]);
    const other = installPayload({ clientKey: `o-${Math.random().toString(36).slice(2, 10)}`, baseUrl: 'https://other-site.atlassian.net' });
    const otherTenant = await t.store.saveInstall(other, { iat: 1 });
    await addNotes([CLOSED], otherTenant.siteId);

    const result = await run();
    expect(result).toMatchObject({ outcome: 'completed', closed: 1, updated: 0, notesErased: 2 });
    const left = await t.db.note.findMany({ select: { siteId: true, authorAccountId: true } });
    expect(left.filter((n) => n.siteId === tenant.siteId).map((n) => n.authorAccountId)).toEqual([ACTIVE]);
    expect(left.filter((n) => n.siteId === otherTenant.siteId).map((n) => n.authorAccountId)).toEqual([CLOSED]);
  });

  it('updated: keeps the notes (they hold no copied profile data) and drops cached display names', async () => {
    await addNotes([ACTIVE]);
    fake.state.updated.add(ACTIVE);
    defaultDisplayNameCache.set(tenant.siteId, undefined, ACTIVE, { displayName: 'Old Name', via: 'app' });
    defaultDisplayNameCache.set(tenant.siteId, ACTIVE, '557058:someone', { displayName: 'Seen by them', via: 'user' });
    defaultDisplayNameCache.set(tenant.siteId, undefined, '557058:someone', { displayName: 'Kept', via: 'app' });
    expect(await run()).toMatchObject({ outcome: 'completed', closed: 0, updated: 1, notesErased: 0 });
    expect(await t.db.note.count({ where: { siteId: tenant.siteId } })).toBe(1);
    expect(defaultDisplayNameCache.get(tenant.siteId, undefined, ACTIVE)).toBeUndefined();
    expect(defaultDisplayNameCache.get(tenant.siteId, ACTIVE, '557058:someone')).toBeUndefined();
    expect(defaultDisplayNameCache.get(tenant.siteId, undefined, '557058:someone')).toEqual({ displayName: 'Kept', via: 'app' });
  });

  it('never acts on an account the report did not name', async () => {
    await addNotes([ACTIVE]);
    const stranger = '557058:not-reported';
    await addNotes([stranger], tenant.siteId);
    // Sorted: '557058:not-reported' < '5be24ad8…', so both go in one batch; answer about a third id only.
    fake.state.answers.push({ status: 200, body: { accounts: [{ accountId: '557058:never-sent', status: 'closed' }, { accountId: ACTIVE, status: 'deleted' }] } });
    expect(await run()).toMatchObject({ outcome: 'completed', closed: 0, notesErased: 0 });
    expect(await t.db.note.count({ where: { siteId: tenant.siteId } })).toBe(2);
  });

  it('reports no account more often than the 7-day cycle: not at 7 days minus 1 ms, again at 7 days', async () => {
    await addNotes([ACTIVE]);
    expect((await run()).outcome).toBe('completed');
    clock = new Date(T0.getTime() + 7 * DAY - 1);
    expect(await run()).toMatchObject({ outcome: 'not-due', batches: 0 });
    clock = new Date(T0.getTime() + 7 * DAY);
    expect(await run()).toMatchObject({ outcome: 'completed', batches: 1 });
    expect(fake.state.batches).toHaveLength(2);
  });

  it('honours a Cycle-Period of 14 days', async () => {
    await addNotes([ACTIVE]);
    fake.state.answers.push({ status: 204, headers: { 'Cycle-Period': '14' } });
    await run();
    clock = new Date(T0.getTime() + 14 * DAY - 1);
    expect((await run()).outcome).toBe('not-due');
    clock = new Date(T0.getTime() + 14 * DAY);
    expect((await run()).outcome).toBe('completed');
  });

  it('429: waits Retry-After (not at 119 s, at 120 s), then re-sends the refused batch', async () => {
    await addNotes(ids(91));
    fake.state.answers.push({ status: 204 }, { status: 429, headers: { 'Retry-After': '120' } });
    expect(await run()).toMatchObject({ outcome: 'rate-limited', batches: 2, reported: 90 });
    clock = new Date(T0.getTime() + 119_000);
    expect(await run()).toMatchObject({ outcome: 'rate-limited', batches: 0 });
    clock = new Date(T0.getTime() + 120_000);
    expect(await run()).toMatchObject({ outcome: 'completed', batches: 1, reported: 1 });
    expect(fake.state.batches.map((b) => b.length)).toEqual([90, 1, 1]);
  });

  it('a failed request (500) keeps the cursor and backs off an hour', async () => {
    await addNotes(ids(2));
    fake.state.answers.push({ status: 500 });
    expect(await run()).toMatchObject({ outcome: 'failed', error: 'PRODUCT_ERROR', batches: 0 });
    clock = new Date(T0.getTime() + 3_600_000 - 1);
    expect((await run()).outcome).toBe('rate-limited');
    clock = new Date(T0.getTime() + 3_600_000);
    expect(await run()).toMatchObject({ outcome: 'completed', reported: 2 });
  });

  it('is bounded per run and resumes from the cursor on the next run', async () => {
    await addNotes(ids(200));
    expect(await run({ maxBatches: 1 })).toMatchObject({ outcome: 'in-progress', batches: 1, reported: 90 });
    expect(await run({ maxBatches: 1 })).toMatchObject({ outcome: 'in-progress', batches: 1, reported: 90 });
    expect(await run({ maxBatches: 1 })).toMatchObject({ outcome: 'completed', batches: 1, reported: 20 });
    const sent = fake.state.batches.flat().map((a) => a.accountId);
    expect(sent).toEqual(ids(200));
  });

  it('after a crash mid-run, resumes after the last batch it acted on: none skipped, none but the lost one re-sent', async () => {
    await addNotes(ids(181));
    let calls = 0;
    const real = endpoint();
    const crashing: ReportEndpoint = {
      ...real,
      client: { ...real.client, fetch: (path, init) => (++calls === 2 ? Promise.reject(new Error('process killed')) : real.client.fetch(path, init)) },
    };
    await expect(reportSite(t.db, tenant.siteId, crashing, { now })).rejects.toThrow('process killed');
    const state = await t.db.privacyReport.findUniqueOrThrow({ where: { siteId: tenant.siteId } });
    expect(state.cursor).toBe('557058:acct-0089');
    expect(state.leaseUntil).toBeNull();
    expect(await run()).toMatchObject({ outcome: 'completed', batches: 2, reported: 91 });
    expect(fake.state.batches.map((b) => [b[0].accountId, b.length])).toEqual([['557058:acct-0000', 90], ['557058:acct-0090', 90], ['557058:acct-0180', 1]]);
  });

  it('a crash that kept the lease (killed process) blocks other runs only until the lease ends', async () => {
    await addNotes([ACTIVE]);
    await t.db.privacyReport.create({ data: { siteId: tenant.siteId, leaseUntil: new Date(T0.getTime() + 1000) } });
    expect((await run()).outcome).toBe('busy');
    clock = new Date(T0.getTime() + 1000);
    expect((await run()).outcome).toBe('completed');
  });

  it('two runs at once (two instances): the accounts are reported once', async () => {
    await addNotes(ids(3));
    const outcomes = (await Promise.all([run(), run()])).map((r) => r.outcome).sort();
    // The second run either finds the lease held (busy) or, if the first already finished, the cycle done.
    expect([['busy', 'completed'], ['completed', 'not-due']]).toContainEqual(outcomes);
    expect(fake.state.batches).toHaveLength(1);
  });

  it('logs counts and outcome, never an accountId', async () => {
    vi.stubEnv('CONNECT_LOG', 'on');
    const lines: string[] = [];
    const out = vi.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    const err = vi.spyOn(console, 'error').mockImplementation((l: string) => void lines.push(l));
    try {
      await addNotes([CLOSED, ACTIVE, ...ids(3)]);
      fake.state.answers.push({ status: 200, body: { accounts: [{ accountId: CLOSED, status: 'closed' }] } });
      await run({ maxBatches: 1 });
      await runPrivacyReports({ db: t.db, tenants: t.store }, { now });
    } finally {
      out.mockRestore();
      err.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(lines.length).toBeGreaterThan(0);
    const text = lines.join('\n');
    for (const id of [CLOSED, ACTIVE, ...ids(3)]) expect(text).not.toContain(id);
    expect(text).toContain('"closed":1');
  });

  it('the scheduled run reports every due Connect site, and skips uninstalled ones', async () => {
    await addNotes([ACTIVE]);
    const gone = installPayload({ clientKey: `g-${Math.random().toString(36).slice(2, 10)}`, baseUrl: 'https://gone.atlassian.net' });
    const goneTenant = await t.store.saveInstall(gone, { iat: 1 });
    await addNotes([ACTIVE], goneTenant.siteId);
    await t.store.markUninstalled(gone.clientKey, { iat: 2 });
    const summary = await runPrivacyReports({ db: t.db, tenants: t.store }, { now });
    expect(summary).toMatchObject({ sites: 1, batches: 1, reported: 1, truncated: false, outcomes: { completed: 1 } });
    expect((await runPrivacyReports({ db: t.db, tenants: t.store }, { now })).sites).toBe(0);
  });

  it('a site\'s reporting state goes with the site (purge, or a merge into another site)', async () => {
    await addNotes([ACTIVE]);
    await run();
    await t.db.note.deleteMany({ where: { siteId: tenant.siteId } });
    await t.db.tenant.deleteMany({ where: { siteId: tenant.siteId } });
    await t.db.site.delete({ where: { id: tenant.siteId } });
    expect(await t.db.privacyReport.count({ where: { siteId: tenant.siteId } })).toBe(0);
  });

  it('the scheduled run stops at maxSites and says so', async () => {
    for (let i = 0; i < 3; i++) await t.store.saveInstall(installPayload({ clientKey: `m${i}-${Math.random().toString(36).slice(2, 8)}`, baseUrl: `https://m${i}-${Math.random().toString(36).slice(2, 8)}.atlassian.net` }), { iat: 1 });
    const summary = await runPrivacyReports({ db: t.db, tenants: t.store }, { now, maxSites: 2 });
    expect(summary).toMatchObject({ sites: 2, truncated: true });
  });
});

describe('report-accounts protocol', () => {
  it('refuses a batch of 0 or 91 accounts before sending anything', async () => {
    const client = { fetch: vi.fn() } as unknown as ReportEndpoint['client'];
    const one = { accountId: ACTIVE, updatedAt: T0.toISOString() };
    await expect(reportAccounts({ door: 'connect', client, path: '/x' }, [])).rejects.toThrow(RangeError);
    await expect(reportAccounts({ door: 'connect', client, path: '/x' }, Array(91).fill(one))).rejects.toThrow(RangeError);
    expect(client.fetch).not.toHaveBeenCalled();
  });

  it('reads Cycle-Period as days (7, 7 Days, P7D) within 1 to 90 days, and ignores anything else', () => {
    expect(parseCyclePeriod('7')).toBe(604800);
    expect(parseCyclePeriod('7 Days')).toBe(604800);
    expect(parseCyclePeriod('P14D')).toBe(1209600);
    expect(parseCyclePeriod('1 day')).toBe(86400);
    expect(parseCyclePeriod('90')).toBe(7776000);
    expect(parseCyclePeriod('91')).toBe(7776000);
    expect(parseCyclePeriod('0')).toBeUndefined();
    expect(parseCyclePeriod('soon')).toBeUndefined();
    expect(parseCyclePeriod(null)).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date, 60 s when missing, at most a day', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Tue, 01 Dec 2026 00:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter(null, now)).toBe(60);
    expect(parseRetryAfter('later', now)).toBe(60);
    // The product client's reading (lib/connect/rate-limit.ts): a date that is not an HTTP-date is unreadable.
    expect(parseRetryAfter('2026-12-01T00:02:00Z', now)).toBe(60);
    expect(parseRetryAfter('86400', now)).toBe(86400);
    expect(parseRetryAfter('86401', now)).toBe(86400);
  });
});

describe('display name cache erasure', () => {
  it('forgetAccount drops names of and seen by the account only', () => {
    const names = new DisplayNameCache();
    names.set('s1', undefined, 'a', { displayName: 'A', via: 'app' });
    names.set('s2', 'a', 'b', { displayName: 'B', via: 'user' });
    names.set('s2', undefined, 'b', { displayName: 'B', via: 'app' });
    expect(names.forgetAccount('a')).toBe(2);
    expect(names.size).toBe(1);
  });
});

describe('report-accounts timeout', () => {
  it('an answer whose body never ends is PRODUCT_TIMEOUT within the exchange timeout', async () => {
    const { startServer: start } = await import('../helpers/fake-product-api');
    const slow = await start((_hit, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"accounts":[');
    });
    try {
      const tenant = { clientKey: 'c', baseUrl: slow.origin, sharedSecret: 's'.repeat(32), oauthClientId: null };
      const endpoint = { ...connectReportEndpoint(tenant, { appKey: 'k' }), timeoutMs: 200 };
      await expect(reportAccounts(endpoint, [{ accountId: ACTIVE, updatedAt: T0.toISOString() }])).rejects.toMatchObject({ code: 'PRODUCT_TIMEOUT' });
    } finally {
      await slow.close();
    }
  });
});
