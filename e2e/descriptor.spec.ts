import { expect, test } from '@playwright/test';
import template from '../atlassian-connect.json';

test('the descriptor is served with the configured base URL and no caching', async ({ request, baseURL }) => {
  const response = await request.get('/atlassian-connect.json');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('application/json');
  expect(response.headers()['cache-control']).toBe('no-store');
  const descriptor = await response.json();
  expect(descriptor.baseUrl).toBe(baseURL);
  expect(descriptor.authentication).toEqual({ type: 'jwt' });
  expect(descriptor.apiMigrations).toEqual({ 'context-qsh': true, 'signed-install': true });
});

test('the home page names the app and links its descriptor', async ({ page, baseURL }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(template.name);
  await expect(page.getByRole('link', { name: `${baseURL}/atlassian-connect.json` })).toBeVisible();
  await page.screenshot({ path: 'test-results/home.png', fullPage: true });
});

test('a lifecycle callback without a token is refused with a machine-readable 401', async ({ request }) => {
  const response = await request.post('/api/lifecycle/installed', { data: { clientKey: 'x' } });
  expect(response.status()).toBe(401);
  expect(await response.json()).toMatchObject({ error: 'TOKEN_MISSING' });
});
