/**
 * POST /api/webhooks/<name> through the code its route runs, on SQLite and PostgreSQL, with webhooks signed
 * by atlassian-jwt as Jira signs them (HS256, qsh of POST <url>, no user). Refusals change nothing.
 */
import pg from 'pg';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handle } from '@/lib/http/responses';
import { createNotesStore, type NotesStore } from '@/lib/notes/store';
import type { Tenant } from '@/lib/tenants/types';
import { createWebhookDeliveries } from '@/lib/webhooks/deliveries';
import { WEBHOOK_BODY_LIMIT, receiveWebhook, type WebhookDeps } from '@/lib/webhooks/receive';
import { forEachDatabase, TEST_DATABASE_URL, type DatabaseContext } from '../helpers/db';
import { ALICE, APP_URL, NOW, NOW_S, contextToken, installTenant, requestToken } from '../notes/helpers';

const url = (name: string) => `${APP_URL}/api/webhooks/${name}`;

/** Jira's signature on a webhook to `url`: a request token without a user. */
function jiraToken(tenant: Tenant, target: string, claims: Record<string, unknown> = {}): string {
  return requestToken(tenant, 'POST', target, { claims: { sub: undefined, ...claims } });
}

interface DeliveryInit {
  id?: string;
  retry?: number;
  token?: string | null;
  contentType?: string;
}

function webhook(tenant: Tenant, name: string, body: unknown, { id, retry, token, contentType = 'application/json' }: DeliveryInit = {}): Request {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token !== null) headers.authorization = `JWT ${token ?? jiraToken(tenant, url(name))}`;
  if (id !== undefined) headers['X-Atlassian-Webhook-Identifier'] = id;
  if (retry !== undefined) headers['X-Atlassian-Webhook-Retry'] = String(retry);
  headers['X-Atlassian-Webhook-Flow'] = 'Primary';
  return new Request(url(name), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const issueDeleted = (key: string) => ({
  timestamp: NOW.getTime(),
  webhookEvent: 'jira:issue_deleted',
  issue_event_type_name: 'issue_deleted',
  issue: { id: '10001', key, fields: { summary: 'Gone', project: { key: key.split('-')[0] } } },
});

const issueUpdated = (key: string, items: unknown[]) => ({
  timestamp: NOW.getTime(),
  webhookEvent: 'jira:issue_updated',
  issue_event_type_name: 'issue_moved',
  issue: { id: '10001', key, fields: { summary: 'Moved' } },
  changelog: { id: '20001', items },
});

/** The changelog Jira writes when an issue moves to another project. */
const moved = (from: string, to: string) => [
  { field: 'project', fieldtype: 'jira', fieldId: 'project', from: '10000', fromString: 'Notes', to: '10001', toString: 'Operations' },
  { field: 'Key', fieldtype: 'jira', from: null, fromString: from, to: null, toString: to },
];

forEachDatabase('webhooks', (t: DatabaseContext) => {
  let notes: NotesStore;
  let a: Tenant;
  let b: Tenant;
  /** What each delivery's `processOnce` answered, in order ('processed' is a committed effect; a failure is not listed). */
  let outcomes: string[];

  beforeEach(async () => {
    notes = createNotesStore(t.db);
    [a, b] = [await installTenant(t), await installTenant(t)];
    outcomes = [];
  });

  const deps = (): WebhookDeps => {
    const deliveries = createWebhookDeliveries(t.db);
    return {
      store: t.store,
      deliveries: {
        ...deliveries,
        async processOnce(...args) {
          const outcome = await deliveries.processOnce(...args);
          outcomes.push(outcome);
          return outcome;
        },
      },
      appBaseUrl: APP_URL,
      now: NOW,
    };
  };
  const send = (name: string, request: Request) =>
    handle(async () => {
      await receiveWebhook(name, request, deps());
      return new Response(null, { status: 204 });
    });
  const deliver = (tenant: Tenant, name: string, body: unknown, init: DeliveryInit = {}) => send(name, webhook(tenant, name, body, init));

  const add = (tenant: Tenant, issueKey: string, text = 'x') =>
    notes.create(tenant.siteId, { issueKey, projectKey: issueKey.split('-')[0], authorAccountId: ALICE, text });
  const keysOf = async (tenant: Tenant) => (await notes.listRecent(tenant.siteId)).map((n) => `${n.issueKey}:${n.projectKey}:${n.text}`).sort();
  const snapshot = async () => ({ notes: await t.db.note.findMany({ orderBy: { id: 'asc' } }), deliveries: await t.db.webhookDelivery.findMany() });

  async function expectRefused(response: Promise<Response>, status: number, code: string) {
    const before = await snapshot();
    const res = await response;
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: code });
    expect(await snapshot()).toEqual(before);
  }

  describe('jira:issue_deleted', () => {
    it('deletes the issue’s notes in the sending site only, and answers 204', async () => {
      await add(a, 'NOTE-1', 'a1');
      await add(a, 'NOTE-2', 'a2');
      await add(b, 'NOTE-1', 'b1');
      const response = await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-1' });
      expect(response.status).toBe(204);
      expect(await keysOf(a)).toEqual(['NOTE-2:NOTE:a2']);
      expect(await keysOf(b)).toEqual(['NOTE-1:NOTE:b1']);
    });

    it('another site’s webhook for this site’s issue key deletes only its own notes', async () => {
      await add(a, 'NOTE-1', 'a1');
      await add(b, 'NOTE-1', 'b1');
      expect((await deliver(b, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-1' })).status).toBe(204);
      expect(await keysOf(a)).toEqual(['NOTE-1:NOTE:a1']);
      expect(await keysOf(b)).toEqual([]);
    });

    it('refuses a body without a valid issue key (400)', async () => {
      await add(a, 'NOTE-1');
      await expectRefused(deliver(a, 'issue-deleted', { webhookEvent: 'jira:issue_deleted', issue: {} }, { id: 'w-1' }), 400, 'BAD_REQUEST');
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('note-1'), { id: 'w-2' }), 400, 'BAD_REQUEST');
    });
  });

  describe('jira:issue_updated', () => {
    it('moves the site’s notes when the issue moved to another project (changelog Key)', async () => {
      await add(a, 'NOTE-7', 'a');
      await add(a, 'NOTE-8', 'other issue');
      await add(b, 'NOTE-7', 'b');
      const response = await deliver(a, 'issue-updated', issueUpdated('OPS-31', moved('NOTE-7', 'OPS-31')), { id: 'w-1' });
      expect(response.status).toBe(204);
      expect(await keysOf(a)).toEqual(['NOTE-8:NOTE:other issue', 'OPS-31:OPS:a']);
      expect(await keysOf(b)).toEqual(['NOTE-7:NOTE:b']);
    });

    it('changes nothing, and records nothing, for an update that keeps the key', async () => {
      await add(a, 'NOTE-7');
      const before = await snapshot();
      const items = [{ field: 'summary', fieldtype: 'jira', fromString: 'Old', toString: 'New' }];
      expect((await deliver(a, 'issue-updated', issueUpdated('NOTE-7', items), { id: 'w-1' })).status).toBe(204);
      expect((await deliver(a, 'issue-updated', { webhookEvent: 'jira:issue_updated', issue: { key: 'NOTE-7' } }, { id: 'w-2' })).status).toBe(204);
      expect(await snapshot()).toEqual(before);
      expect(outcomes).toEqual([]);
    });

    it('refuses a key change with a malformed key (400)', async () => {
      await add(a, 'NOTE-7');
      await expectRefused(deliver(a, 'issue-updated', issueUpdated('OPS-31', moved('NOTE-7', 'ops 31')), { id: 'w-1' }), 400, 'BAD_REQUEST');
    });

    it('processes a redelivered move once: a note written on the old key afterwards stays', async () => {
      await add(a, 'NOTE-7', 'first');
      const body = issueUpdated('OPS-31', moved('NOTE-7', 'OPS-31'));
      expect((await deliver(a, 'issue-updated', body, { id: 'w-move' })).status).toBe(204);
      await add(a, 'NOTE-7', 'later');
      expect((await deliver(a, 'issue-updated', body, { id: 'w-move', retry: 1 })).status).toBe(204);
      expect(await keysOf(a)).toEqual(['NOTE-7:NOTE:later', 'OPS-31:OPS:first']);
      expect(outcomes).toEqual(['processed', 'duplicate']);
    });
  });

  describe('delivering once', () => {
    it('processes a redelivery (same X-Atlassian-Webhook-Identifier) once and acknowledges it with 204', async () => {
      await add(a, 'NOTE-1');
      for (const retry of [undefined, 1, 2]) {
        expect((await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-same', retry })).status).toBe(204);
      }
      expect(outcomes).toEqual(['processed', 'duplicate', 'duplicate']);
      expect(await t.db.webhookDelivery.findMany()).toMatchObject([{ siteId: a.siteId, webhookId: 'w-same', event: 'jira:issue_deleted' }]);
    });

    it('processes concurrent duplicates once', async () => {
      await add(a, 'NOTE-1');
      const responses = await Promise.all([1, 2, 3].map(() => deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-race' })));
      expect(responses.map((r) => r.status)).toEqual([204, 204, 204]);
      expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'processed']);
      expect(await t.db.webhookDelivery.count()).toBe(1);
    });

    it('concurrent duplicates overlap on PostgreSQL: the others wait on the first transaction, then see it committed', async (ctx) => {
      // SQLite's adapter runs one transaction at a time, so there the test above is all there is to prove.
      if (t.dialect !== 'postgresql') ctx.skip();
      await add(a, 'NOTE-1');
      // A delivery is one batch transaction, which cannot be held open from inside: another connection holds
      // NOTE-1's row lock, so the first delivery to insert its row waits at its DELETE, transaction open, until
      // PostgreSQL shows the two duplicates blocked on that transaction (their insert waits on its unique key).
      const observer = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await observer.connect();
      let waiting = 0;
      try {
        await observer.query(`SET search_path TO "${new URL(t.url).searchParams.get('schema')}"`);
        await observer.query('BEGIN');
        await observer.query(`SELECT 1 FROM "Note" WHERE "siteId" = $1 FOR UPDATE`, [a.siteId]);
        const responses = Promise.all([1, 2, 3].map(() => deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-race' })));
        await vi.waitFor(async () => {
          const { rows } = await observer.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity w, pg_stat_activity first
              WHERE pg_backend_pid() = ANY (pg_blocking_pids(first.pid)) AND first.pid = ANY (pg_blocking_pids(w.pid))`,
          );
          expect(rows[0].n).toBe(2);
          waiting = rows[0].n;
        }, { timeout: 4_000, interval: 20 });
        await observer.query('COMMIT');
        expect((await responses).map((r) => r.status)).toEqual([204, 204, 204]);
      } finally {
        await observer.end();
      }
      expect(waiting).toBe(2);
      expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'processed']);
      expect(await t.db.webhookDelivery.count()).toBe(1);
      expect(await t.db.note.count()).toBe(0);
    });

    it('keeps identifiers per site: the same identifier from another site is another delivery', async () => {
      await add(a, 'NOTE-1');
      await add(b, 'NOTE-1');
      await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-1' });
      await deliver(b, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-1' });
      expect(outcomes).toEqual(['processed', 'processed']);
      expect(await t.db.note.count()).toBe(0);
    });

    it('records nothing when processing fails (500), so Jira’s retry is processed', async () => {
      await add(a, 'NOTE-1');
      // A real failure after the effect was applied: a trigger that fails once the notes are deleted (SQLite:
      // malformed JSON, as RAISE would read as a constraint violation, which is 503 SITE_MOVED here).
      const [create, drop] =
        t.dialect === 'sqlite'
          ? [[`CREATE TRIGGER fail_after_delete AFTER DELETE ON "Note" BEGIN SELECT json('simulated failure'); END`], ['DROP TRIGGER fail_after_delete']]
          : [
              [
                `CREATE FUNCTION fail_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$`,
                `CREATE TRIGGER fail_after_delete AFTER DELETE ON "Note" FOR EACH ROW EXECUTE FUNCTION fail_after_delete()`,
              ],
              ['DROP TRIGGER fail_after_delete ON "Note"', 'DROP FUNCTION fail_after_delete()'],
            ];
      for (const sql of create) await t.db.$executeRawUnsafe(sql);
      const failed = await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-1' });
      for (const sql of drop) await t.db.$executeRawUnsafe(sql);
      expect(failed.status).toBe(500);
      expect(await failed.json()).toEqual({ error: 'INTERNAL', message: 'Internal error' });
      // Rolled back: the notes are still there and the delivery is not recorded.
      expect(await t.db.note.count()).toBe(1);
      expect(await t.db.webhookDelivery.count()).toBe(0);
      const retried = await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'w-1', retry: 1 });
      expect(retried.status).toBe(204);
      expect(await t.db.note.count()).toBe(0);
      expect(await t.db.webhookDelivery.count()).toBe(1);
      expect(outcomes).toEqual(['processed']);
    });

    it('processes a webhook without an identifier every time, recording nothing', async () => {
      await add(a, 'NOTE-1');
      expect((await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'))).status).toBe(204);
      await add(a, 'NOTE-1', 'again');
      expect((await deliver(a, 'issue-deleted', issueDeleted('NOTE-1'))).status).toBe(204);
      expect(await t.db.note.count()).toBe(0);
      expect(outcomes).toEqual(['processed', 'processed']);
      expect(await t.db.webhookDelivery.count()).toBe(0);
    });

    it('refuses a malformed identifier (400)', async () => {
      await add(a, 'NOTE-1');
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'x'.repeat(256) }), 400, 'BAD_REQUEST');
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { id: 'has space' }), 400, 'BAD_REQUEST');
    });
  });

  describe('routing and bodies', () => {
    it('refuses a body whose webhookEvent is not the route’s event (400)', async () => {
      await add(a, 'NOTE-1');
      await expectRefused(deliver(a, 'issue-deleted', { ...issueDeleted('NOTE-1'), webhookEvent: 'jira:issue_updated' }, { id: 'w-1' }), 400, 'BAD_REQUEST');
      await expectRefused(deliver(a, 'issue-updated', { ...issueUpdated('OPS-1', moved('NOTE-1', 'OPS-1')), webhookEvent: 'jira:issue_deleted' }, { id: 'w-2' }), 400, 'BAD_REQUEST');
      await expectRefused(deliver(a, 'issue-deleted', { issue: { key: 'NOTE-1' } }, { id: 'w-3' }), 400, 'BAD_REQUEST');
    });

    it.each(['issue-created', '__proto__', 'constructor', 'toString'])('answers 404 for a webhook the app does not handle (%s)', async (name) => {
      await expectRefused(deliver(a, name, issueDeleted('NOTE-1')), 404, 'NOT_FOUND');
    });

    it('refuses a body that is not JSON (415)', async () => {
      await add(a, 'NOTE-1');
      await expectRefused(deliver(a, 'issue-deleted', JSON.stringify(issueDeleted('NOTE-1')), { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses malformed JSON and a body that is not an object (400)', async () => {
      await expectRefused(deliver(a, 'issue-deleted', '{"webhookEvent":'), 400, 'BAD_REQUEST');
      await expectRefused(deliver(a, 'issue-deleted', [issueDeleted('NOTE-1')]), 400, 'BAD_REQUEST');
    });

    it('refuses a body over 1 MiB (413)', async () => {
      await add(a, 'NOTE-1');
      const huge = { ...issueDeleted('NOTE-1'), padding: 'p'.repeat(WEBHOOK_BODY_LIMIT) };
      await expectRefused(deliver(a, 'issue-deleted', huge, { id: 'w-1' }), 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('authentication (strict: the token is bound to this URL)', () => {
    beforeEach(async () => {
      await add(a, 'NOTE-1');
    });

    it('refuses a context token (401 QSH_MISMATCH)', async () => {
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { token: contextToken(a) }), 401, 'QSH_MISMATCH');
    });

    it('refuses a token signed for another webhook URL (401 QSH_MISMATCH)', async () => {
      const token = jiraToken(a, url('issue-updated'));
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { token }), 401, 'QSH_MISMATCH');
    });

    it('refuses a webhook without a token (401)', async () => {
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { token: null }), 401, 'TOKEN_MISSING');
    });

    it('refuses an expired token (401)', async () => {
      const token = jiraToken(a, url('issue-deleted'), { iat: NOW_S - 600, exp: NOW_S - 60 });
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { token }), 401, 'TOKEN_EXPIRED');
    });

    it('refuses a bad signature (401), e.g. another site’s secret', async () => {
      const token = jiraToken({ ...a, sharedSecret: b.sharedSecret }, url('issue-deleted'));
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1'), { token }), 401, 'BAD_SIGNATURE');
    });

    it('refuses an uninstalled site (401) and a disabled one (403)', async () => {
      await t.store.markDisabled(a.clientKey, { iat: NOW_S });
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1')), 403, 'TENANT_DISABLED');
      await t.store.markUninstalled(a.clientKey, { iat: NOW_S });
      await expectRefused(deliver(a, 'issue-deleted', issueDeleted('NOTE-1')), 401, 'TENANT_UNINSTALLED');
    });
  });
});
