/**
 * The route files under app/api wire the library code to the app's configuration and database: one pass
 * through each, as Next.js would call them, with DATABASE_URL pointing at a test database.
 */
import { expect, it } from 'vitest';
import { forEachDatabase, type DatabaseContext } from '../helpers/db';
import { ALICE, BOB, apiRequest, generalToken, issueToken, liveClaims, withInstalledTenant } from './helpers';

forEachDatabase('notes routes', (t: DatabaseContext) => {
  const app = withInstalledTenant(t, 'routes');

  it('creates, lists and deletes a note through /api/notes and /api/notes/[id]', async () => {
    const notes = await import('@/app/api/notes/route');
    const one = await import('@/app/api/notes/[id]/route');
    const token = issueToken(app.tenant, 'NOTE-1', ALICE, liveClaims());

    const created = await notes.POST(apiRequest('/api/notes', { method: 'POST', token, body: { issueKey: 'NOTE-1', text: 'via the route' } }));
    expect(created.status).toBe(201);
    const { note } = await created.json();

    const listed = await notes.GET(apiRequest('/api/notes?issueKey=NOTE-1', { token }));
    expect(listed.headers.get('cache-control')).toBe('no-store');
    expect((await listed.json()).notes).toMatchObject([{ id: note.id, text: 'via the route', mine: true }]);

    const params = Promise.resolve({ id: note.id });
    const refused = await one.DELETE(apiRequest(`/api/notes/${note.id}`, { method: 'DELETE', token: issueToken(app.tenant, 'NOTE-1', BOB, liveClaims()) }), { params });
    expect(refused.status).toBe(403);
    const deleted = await one.DELETE(apiRequest(`/api/notes/${note.id}`, { method: 'DELETE', token }), { params });
    expect(deleted.status).toBe(204);
    expect(await t.db.note.count()).toBe(0);
  });

  it('maps errors through handle(): 401 with WWW-Authenticate and a JSON code', async () => {
    const notes = await import('@/app/api/notes/route');
    const response = await notes.GET(apiRequest('/api/notes'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('JWT');
    expect(await response.json()).toMatchObject({ error: 'TOKEN_MISSING' });
  });

  it('answers /api/issue-details with nothing to fetch without calling the product', async () => {
    const route = await import('@/app/api/issue-details/route');
    const response = await route.GET(apiRequest('/api/issue-details', { token: generalToken(app.tenant, ALICE, liveClaims()) }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ issue: null, users: [] });
  });
});
