/** app/api/webhooks/[name]/route.ts, as Next.js would call it, against a test database. */
import { expect, it } from 'vitest';
import { forEachDatabase, type DatabaseContext } from '../helpers/db';
import { ALICE, APP_URL, liveClaims, requestToken, withInstalledTenant } from '../notes/helpers';

forEachDatabase('webhook route', (t: DatabaseContext) => {
  const app = withInstalledTenant(t, 'hook');

  function post(name: string, body: unknown, id: string): Request {
    const url = `${APP_URL}/api/webhooks/${name}`;
    const token = requestToken(app.tenant, 'POST', url, { claims: { sub: undefined, ...liveClaims() } });
    return new Request(url, {
      method: 'POST',
      headers: { authorization: `JWT ${token}`, 'content-type': 'application/json', 'X-Atlassian-Webhook-Identifier': id },
      body: JSON.stringify(body),
    });
  }

  it('applies jira:issue_deleted once and answers 204', async () => {
    await t.db.note.create({ data: { siteId: app.tenant.siteId, issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'x' } });
    const { POST } = await import('@/app/api/webhooks/[name]/route');
    const params = Promise.resolve({ name: 'issue-deleted' });
    const body = { webhookEvent: 'jira:issue_deleted', issue: { key: 'NOTE-1' } };
    expect((await POST(post('issue-deleted', body, 'w-1'), { params })).status).toBe(204);
    expect((await POST(post('issue-deleted', body, 'w-1'), { params })).status).toBe(204);
    expect(await t.db.note.count()).toBe(0);
    expect(await t.db.webhookDelivery.count()).toBe(1);
  });

  it('answers 404 for an unknown webhook name', async () => {
    const { POST } = await import('@/app/api/webhooks/[name]/route');
    const response = await POST(post('nope', {}, 'w-2'), { params: Promise.resolve({ name: 'nope' }) });
    expect(response.status).toBe(404);
  });
});
