/**
 * Forge's deadline (lib/deadline.ts, FORGE_EVENT_DEADLINE_MS): Forge waits 5 s for the event, uninstall and
 * privacy trigger endpoints, so they decide within 3.5 s or answer 503 DEADLINE_EXCEEDED with Retry-After, and Forge
 * retries. The edge is moved with fake timers (no timing assertions here); test/reliability/forge-deadline
 * .test.ts measures the real thing behind real faults.
 */
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { withDeadline } from '@/lib/deadline';
import { FORGE_EVENT_DEADLINE_MS, receiveForgeEvent, type ForgeEventDeps } from '@/lib/forge/events';
import { createForgeKeySet } from '@/lib/forge/invocation-token';
import { connectPairing } from '@/lib/forge/pairing';
import { handle } from '@/lib/http/responses';
import { createNotesStore, type NotesStore } from '@/lib/notes/store';
import { createSiteStore } from '@/lib/sites/store';
import { createWebhookDeliveries } from '@/lib/webhooks/deliveries';
import { afterHold, forEachDatabase, installPayload } from '../helpers/db';
import { startSilentServer, type SilentServer } from '../helpers/fault-proxy';
import { disconnectAppDb, useAppEnvironment } from '../notes/helpers';
import { APP_ID, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';
import { backendFit, forgeCall, forgeSite, PRIVACY_ENDPOINT, UNINSTALL_ENDPOINT } from './helpers/forge-door';

let key: SigningKey;
let jwks: JwksServer;
/** A key server that accepts connections and never answers. */
let silent: SilentServer;

beforeAll(async () => {
  key = await signingKey('forge-key-1');
  jwks = await startJwksServer([key.publicJwk]);
  silent = await startSilentServer('/.well-known/jwks.json');
});
afterAll(async () => {
  await jwks.close();
  await silent.close();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Settles `promise` into a flag a test can read while fake time stands still. */
function watch(promise: Promise<Response>) {
  const state: { response?: Response } = {};
  void promise.then((r) => (state.response = r));
  return state;
}

it('withDeadline settles with the work’s outcome when it finishes first, and clears its timer', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  await expect(withDeadline(3_500, async () => 'done')).resolves.toBe('done');
  await expect(withDeadline(3_500, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(vi.getTimerCount()).toBe(0);
});

forEachDatabase('Forge deadline', (t) => {
  async function routes(jwksUrl: string) {
    await useAppEnvironment(t);
    vi.stubEnv('FORGE_APP_ID', APP_ID);
    vi.stubEnv('FORGE_JWKS_URL', jwksUrl);
    vi.stubEnv('CONNECT_LOG', 'silent');
    return {
      events: await import('@/app/api/forge/events/route'),
      uninstall: await import('@/app/api/forge/uninstall/route'),
      privacy: await import('@/app/api/forge/privacy-report/route'),
    };
  }
  afterAll(async () => {
    await disconnectAppDb();
    vi.unstubAllEnvs();
  });

  it('a key server that never answers: still waiting at 3499 ms, 503 DEADLINE_EXCEEDED with Retry-After at 3500 ms; nothing stored (events, uninstall, privacy trigger)', async () => {
    const r = await routes(silent.url);
    const site = forgeSite();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const calls = [
      watch(r.events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: { eventType: 'avi:forge:installed:app' } }))),
      watch(r.uninstall.POST(forgeCall('/api/forge/uninstall', await backendFit(key, site, { module: UNINSTALL_ENDPOINT }), { body: {} }))),
      watch(r.privacy.POST(forgeCall('/api/forge/privacy-report', await backendFit(key, site, { module: PRIVACY_ENDPOINT }), { body: {} }))),
    ];
    await vi.advanceTimersByTimeAsync(3_499);
    expect(calls.map((c) => c.response)).toEqual([undefined, undefined, undefined]);
    await vi.advanceTimersByTimeAsync(1);
    for (const { response } of calls) {
      expect(response?.status).toBe(503);
      expect(response?.headers.get('retry-after')).toBe('5');
      expect(await response?.json()).toMatchObject({ error: 'DEADLINE_EXCEEDED' });
    }
    vi.useRealTimers();
    expect(await t.db.forgeInstallation.count()).toBe(0);
    expect(await t.db.site.count()).toBe(0);
    expect(await t.db.privacyReport.count()).toBe(0);
  });

  it('answers well before the deadline when nothing is slow (the bound is the route’s, not a wait)', async () => {
    const r = await routes(jwks.url);
    const site = forgeSite();
    const installed = await r.events.POST(forgeCall('/api/forge/events', await backendFit(key, site), { body: { eventType: 'avi:forge:installed:app' } }));
    expect(installed.status).toBe(204);
    expect(await t.db.forgeInstallation.count()).toBe(1);
  });

  it('an effect still running at the deadline is rolled back, never committed after the 503; the retry applies it once', async () => {
    const keys = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0 });
    const site = forgeSite();
    let release!: () => void;
    let reached!: () => void;
    const atEffect = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    let effectDone: Promise<unknown> = Promise.resolve();
    // The notes store of the first delivery waits at the gate: a database that holds the event's transaction.
    let held = true;
    const slowNotes = (tx: Parameters<typeof createNotesStore>[0]): NotesStore => {
      const notes = createNotesStore(tx);
      if (!held) return notes;
      held = false;
      return {
        ...notes,
        deleteForIssue: (...args) => {
          const run = afterHold(
            async () => {
              reached();
              await gate;
            },
            () => notes.deleteForIssue(...args),
          );
          effectDone = Promise.resolve(run).catch((err: unknown) => err);
          return run;
        },
      };
    };
    let transaction: Promise<unknown> = Promise.resolve();
    const deps = (notesStore?: typeof slowNotes): ForgeEventDeps => {
      const deliveries = createWebhookDeliveries(t.db, notesStore ? { notesStore } : {});
      return {
        verify: { appId: APP_ID, keys },
        sites: createSiteStore(t.db),
        // The transaction's own outcome, which the 503 does not wait for.
        deliveries: { ...deliveries, processOnce: (...args) => (transaction = deliveries.processOnce(...args)) },
      };
    };
    const send = async (notesStore?: typeof slowNotes) => {
      const fit = await backendFit(key, site);
      const body = { eventType: 'avi:jira:deleted:issue', issue: { id: '10001', key: 'NOTE-1' } };
      return handle(() =>
        withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) => {
          await receiveForgeEvent(forgeCall('/api/forge/events', fit, { body }), { ...deps(notesStore), deadline });
          return new Response(null, { status: 204 });
        }),
      );
    };
    await send(); // creates the installation and its site (the issue has no notes yet)
    const siteId = (await t.db.forgeInstallation.findFirstOrThrow()).siteId;
    await t.db.webhookDelivery.deleteMany();
    await createNotesStore(t.db).create(siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: 'a', text: 'kept until the retry' });

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const call = watch(send(slowNotes));
    await atEffect; // the delivery row is inserted, the transaction is open, the effect waits
    await vi.advanceTimersByTimeAsync(3_499);
    expect(call.response).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    await vi.waitFor(() => expect(call.response).toBeDefined());
    expect(call.response?.status).toBe(503);
    expect(await call.response?.json()).toMatchObject({ error: 'DEADLINE_EXCEEDED' });

    release();
    await effectDone;
    // Rolled back: the delivery is not recorded and the note is still there.
    expect(await transaction.then(() => 'committed', (err: { code?: string }) => err.code)).toBe('DEADLINE_EXCEEDED');
    expect(await t.db.webhookDelivery.count()).toBe(0);
    expect(await t.db.note.count()).toBe(1);

    // Forge's retry applies it, once.
    expect((await send()).status).toBe(204);
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count()).toBe(1);
    expect((await send()).status).toBe(204);
    expect(await t.db.webhookDelivery.count()).toBe(1);
  });

  it('an event whose Connect join waits on an Atlassian API that never answers is still applied (204) before the deadline; the join is deferred, the sites stay apart', async () => {
    const keys = createForgeKeySet({ jwksUrl: jwks.url });
    const sites = createSiteStore(t.db);
    const site = forgeSite();
    // Forge first (a UI call stored the site URL), then a Connect tenant naming the installation: a join to confirm.
    const { siteId: forgeSiteId } = await sites.resolveForgeInstallation({ installationId: site.installationId, cloudId: site.cloudId, siteUrl: site.siteUrl });
    const tenant = await t.store.saveInstall(installPayload({ clientKey: 'ck-deadline', baseUrl: site.siteUrl, installationId: site.installationId }), { iat: 1_000 });
    await createNotesStore(t.db).create(forgeSiteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: 'a', text: 'deleted with its issue' });
    // The pairing read goes to an API that accepts the connection and never answers.
    const silentApi = new URL(silent.url).origin;
    let askedWithDeadline = false;
    const deps: ForgeEventDeps = {
      verify: { appId: APP_ID, keys },
      sites,
      deliveries: createWebhookDeliveries(t.db),
      pairing: (forge, options) => {
        askedWithDeadline = options?.deadline !== undefined;
        const invocation = { ...forge.invocation, apiBaseUrl: `${silentApi}/ex/jira/${site.cloudId}` };
        return connectPairing({ ...forge, invocation }, { ...options, connectKey: 'connect-next', allowLocalApi: true });
      },
    };
    const body = { eventType: 'avi:jira:deleted:issue', issue: { id: '10001', key: 'NOTE-1' } };
    const request = forgeCall('/api/forge/events', await backendFit(key, site), { body, headers: { 'x-forge-oauth-system': 'system-token' } });
    const response = await handle(() =>
      withDeadline(FORGE_EVENT_DEADLINE_MS, async (deadline) => {
        await receiveForgeEvent(request, { ...deps, deadline });
        return new Response(null, { status: 204 });
      }),
    );
    expect(response.status).toBe(204);
    expect(askedWithDeadline).toBe(true);
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count({ where: { siteId: forgeSiteId } })).toBe(1);
    expect((await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } })).siteId).toBe(forgeSiteId);
    expect(await t.db.site.findUnique({ where: { id: tenant.siteId } })).not.toBeNull();
  });
});
