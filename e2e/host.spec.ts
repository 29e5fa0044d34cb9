/**
 * The Connect host simulator (host/), end to end, in a real browser.
 *
 * - "with a reference app": a small app built on atlassian-jwt (host/testing/fake-app.mjs) checks what the
 *   simulator signs and exercises the AP bridge; independent of this repository's app.
 * - "with the app": the simulator installs this repository's production build (started by e2e/serve.mjs
 *   with CONNECT_INSTALL_KEYS_URL pointing at the simulator) and drives its lifecycle.
 * The sample app's journey through the simulator is e2e/sample-app.spec.ts.
 */
import { spawn } from 'node:child_process';
import { encodeSymmetric } from 'atlassian-jwt';
import { expect, test, type ConsoleMessage } from '@playwright/test';
import { HOST_URL, JWT_PATTERN, ROOT, admin, appToken, createSite, hostState, panel, runCli, site, type SiteSummary } from './simulator';

interface ReferenceApp {
  url: string;
  key: string;
  records(): Promise<{
    lifecycle: { event: string; verified: boolean; reason?: string; claims?: Record<string, unknown>; body: Record<string, any> }[];
    webhooks: { path: string; verified: boolean; reason?: string; headers: Record<string, string | undefined>; body: Record<string, any> }[];
    pages: { path: string; verified: boolean; reason?: string; claims?: Record<string, unknown>; query: Record<string, string> }[];
    tenants: { clientKey: string; sharedSecret: string; baseUrl: string; oauthClientId: string }[];
  }>;
  answerWebhooksWith(statuses: number[]): Promise<void>;
  close(): void;
}

/** host/testing/fake-app.mjs in its own process, as a real app would be. */
async function startReferenceApp(): Promise<ReferenceApp> {
  const child = spawn(process.execPath, ['host/testing/fake-app.mjs', '0'], { cwd: ROOT, env: { ...process.env, HOST_URL }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(chunk.toString());
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the reference app exited (${code})`)));
  });
  const records = async () => (await fetch(`${url}/_test/records`)).json();
  const { key } = await records();
  return {
    url,
    key,
    records,
    answerWebhooksWith: async (statuses) => {
      await fetch(`${url}/_test/webhook-answers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statuses }) });
    },
    close: () => child.kill(),
  };
}

test.describe('the simulator with a reference app built on atlassian-jwt', () => {
  test.describe.configure({ mode: 'serial' });

  let app: ReferenceApp;
  let s: SiteSummary;

  test.beforeAll(async ({ request }) => {
    app = await startReferenceApp();
    s = await createSite(request, 'ref');
  });

  test.afterAll(() => app?.close());

  test('UPM installs an app from its descriptor URL, as development tools do', async ({ request }) => {
    const auth = { authorization: `Basic ${Buffer.from('dev@example.com:api-token').toString('base64')}` };
    expect((await request.get(`${s.baseUrl}/rest/plugins/1.0/?os_authType=basic`)).status()).toBe(401);

    const list = await request.get(`${s.baseUrl}/rest/plugins/1.0/?os_authType=basic`, { headers: auth });
    expect(list.status()).toBe(200);
    const upmToken = list.headers()['upm-token'];
    expect(upmToken).toBeTruthy();

    const install = () => request.post(`${s.baseUrl}/rest/plugins/1.0/?token=${upmToken}`, {
      headers: { ...auth, 'content-type': 'application/vnd.atl.plugins.remote.install+json', accept: 'application/json' },
      data: JSON.stringify({ pluginUri: `${app.url}/atlassian-connect.json`, pluginName: 'Simulator test app' }),
    });
    const accepted = await install();
    expect(accepted.status()).toBe(202);
    const task = await accepted.json();
    expect((await install()).status()).toBe(403); // an upm-token is good for one install

    let location = '';
    await expect.poll(async () => {
      const pending = await request.get(`${HOST_URL}${task.links.self}`, { headers: auth, maxRedirects: 0 });
      location = pending.headers().location ?? '';
      return pending.status();
    }).toBe(303);
    const plugin = await (await request.get(`${HOST_URL}${location}`, { headers: auth })).json();
    expect(plugin).toMatchObject({ key: app.key, enabled: true });

    // The reference app verified both callbacks with atlassian-jwt: RS256 by kid for installed, HS256 for enabled.
    const { lifecycle } = await app.records();
    expect(lifecycle.map((l) => [l.event, l.verified, l.reason])).toEqual([['installed', true, undefined], ['enabled', true, undefined]]);
    const installed = lifecycle[0];
    expect(installed.body).toMatchObject({
      key: app.key, baseUrl: s.baseUrl, displayUrl: s.baseUrl, productType: 'jira', eventType: 'installed', hasSharedSecret: true,
    });
    expect(installed.body.sharedSecretLength).toBeGreaterThanOrEqual(44);
    expect(installed.claims).toMatchObject({ iss: installed.body.clientKey, aud: [app.url] });
    expect(Number(installed.claims?.exp) - Number(installed.claims?.iat)).toBe(180);
    expect(lifecycle[1].body).toMatchObject({ eventType: 'enabled', hasSharedSecret: false });
  });

  test('the issue view shows the panel with its context, the Connect parameters and a valid page JWT', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    await expect(page.getByText('Connect host simulator — not Atlassian')).toBeVisible();
    await expect(panel(page, 'fake-panel').getByTestId('page-jwt')).toHaveText('valid');

    const loaded = (await app.records()).pages.at(-1)!;
    // lic=active: e2e/serve.mjs starts every simulated site licensed (HOST_LICENSE=active), as a paid listing.
    expect(loaded.query).toEqual({
      issueKey: 'NOTE-1', projectKey: 'NOTE', issueId: '10001', projectId: '10000', unknown: '',
      xdm_e: HOST_URL, xdm_c: `channel-${app.key}__fake-panel`, cp: `/sites/${s.name}`,
      xdm_deprecated_addon_key_do_not_use: app.key, lic: 'active', cv: '1001.0.0-SNAPSHOT',
    });
    expect(loaded.claims).toMatchObject({ sub: s.users[0].accountId, context: {} });
    expect(Number(loaded.claims?.exp) - Number(loaded.claims?.iat)).toBe(900);
  });

  test('AP.context.getToken gives a context-qsh token the app verifies; getContext gives the issue', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-2`);
    const frame = panel(page, 'fake-panel');
    await frame.getByRole('button', { name: 'token', exact: true }).click();
    await expect(frame.getByTestId('token-result')).toContainText('"valid":true');
    const result = JSON.parse(await frame.getByTestId('token-result').innerText());
    expect(result).toMatchObject({ sub: s.users[0].accountId, lifetime: 900, context: { jira: { issue: { key: 'NOTE-2', id: '10002' }, project: { key: 'NOTE', id: '10000' } } } });

    await frame.getByRole('button', { name: 'context', exact: true }).click();
    await expect(frame.getByTestId('context-result')).toContainText('NOTE-2');
    expect(JSON.parse(await frame.getByTestId('context-result').innerText())).toMatchObject({
      jira: { issue: { key: 'NOTE-2', id: '10002' }, project: { key: 'NOTE', id: '10000' } }, license: { active: true },
    });
  });

  test('AP.request runs as the signed-in user; failures reject with the xhr; callbacks get (body, statusText, xhr)', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    const frame = panel(page, 'fake-panel');
    await frame.getByRole('button', { name: 'request', exact: true }).click();
    await expect(frame.getByTestId('request-result')).toHaveText(`${s.users[0].displayName} 200`);
    await frame.getByRole('button', { name: 'request 404' }).click();
    await expect(frame.getByTestId('request-404-result')).toHaveText('rejected 404');
    await frame.getByRole('button', { name: 'request callback' }).click();
    await expect(frame.getByTestId('request-callback-result')).toHaveText('Fix the login redirect loop application/json;charset=UTF-8');
  });

  test('switching the signed-in user changes the sub of iframe tokens', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    await page.getByLabel('Signed in as').selectOption({ label: s.users[1].displayName });
    await expect(panel(page, 'fake-panel').getByTestId('sub')).toHaveText(s.users[1].accountId);
    await page.getByLabel('Signed in as').selectOption({ label: s.users[0].displayName });
    await expect(panel(page, 'fake-panel').getByTestId('sub')).toHaveText(s.users[0].accountId);
  });

  test('AP.flag.create shows a text-only flag in the host page', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    await panel(page, 'fake-panel').getByRole('button', { name: 'flag' }).click();
    const flag = page.locator('.ac-flag');
    await expect(flag).toContainText('Saved');
    await expect(flag).toContainText('<b>not bold</b>');
    await expect(flag).toHaveClass(/ac-flag-success/);
    await flag.getByRole('button', { name: 'Dismiss' }).click();
    await expect(flag).toHaveCount(0);
  });

  test('the iframe follows the height of its content', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    const iframe = page.locator('iframe[data-module-key="fake-panel"]');
    await expect(iframe).toHaveAttribute('data-ap-ready', 'true');
    const height = () => iframe.evaluate((el) => el.getBoundingClientRect().height);
    await expect.poll(height).toBeGreaterThan(100);
    const before = await height();
    await panel(page, 'fake-panel').getByRole('button', { name: 'grow' }).click();
    await expect.poll(height).toBeGreaterThan(before + 350);
  });

  test('an unsupported AP call fails visibly, in the iframe and in the host page', async ({ page }) => {
    const messages: ConsoleMessage[] = [];
    page.on('console', (m) => messages.push(m));
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    const frame = panel(page, 'fake-panel');
    await frame.getByRole('button', { name: 'unknown' }).click();
    await expect(frame.getByTestId('unknown-result')).toHaveText('AP.dialog.create() is not supported by the Connect host simulator');
    const errors = () => messages.filter((m) => m.type() === 'error' && m.text().includes('AP.dialog.create')).map((m) => m.text());
    await expect.poll(() => errors().length).toBe(2);
    // all.js in the iframe, and host.js in the product page:
    expect(errors()).toContain('[AP · Connect host simulator] AP.dialog.create() is not supported by the Connect host simulator.');
    expect(errors()).toContain(`[Connect host simulator] ${app.key} called AP.dialog.create(), which the simulator does not support.`);
  });

  test('a general page is full width and fills the window with sizeToParent', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}`);
    await page.getByRole('link', { name: 'Fake page' }).click();
    await expect(page).toHaveURL(`${HOST_URL}/sites/${s.name}/plugins/servlet/ac/${app.key}/fake-page`);
    await expect(panel(page, 'fake-page').getByTestId('page-jwt')).toHaveText('valid');
    const iframe = page.locator('iframe[data-module-key="fake-page"]');
    await expect(iframe).toHaveAttribute('data-size-to-parent', 'true');
    const { top, height } = await iframe.evaluate((el) => el.getBoundingClientRect());
    expect(Math.abs(top + height + 16 - page.viewportSize()!.height)).toBeLessThanOrEqual(2);
  });

  test('webhook buttons send signed webhooks with Atlassian headers; redelivery keeps the identifier and counts retries', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    await app.answerWebhooksWith([503]);
    await page.getByRole('button', { name: 'Send jira:issue_deleted' }).click();
    await expect(page.getByRole('status')).toContainText('Sent jira:issue_deleted');
    const delivery = page.locator('.deliveries li').first();
    await expect(delivery).toContainText('503');
    await expect(delivery).toContainText('Jira would retry this');
    await delivery.getByRole('button', { name: 'Redeliver' }).click();
    await expect(page.locator('.deliveries li').first()).toContainText('(retry 1)');

    const [first, retry] = (await app.records()).webhooks.slice(-2);
    for (const w of [first, retry]) {
      expect(w).toMatchObject({ path: '/webhooks/issue-deleted', verified: true });
      expect(w.body).toMatchObject({
        webhookEvent: 'jira:issue_deleted',
        user: { accountId: s.users[0].accountId },
        issue: { id: '10001', key: 'NOTE-1', fields: { summary: 'Set up the onboarding checklist', project: { key: 'NOTE', id: '10000' } } },
      });
      expect(typeof w.body.timestamp).toBe('number');
    }
    expect(first.headers).toEqual({ identifier: expect.any(String), retry: undefined, flow: 'Primary' });
    expect(retry.headers).toEqual({ identifier: first.headers.identifier, retry: '1', flow: 'Primary' });
  });

  test('the CLI sends a webhook through the running simulator', async () => {
    const run = runCli(['webhook', 'jira:issue_updated', '--issue', 'NOTE-3', '--site', s.name]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`jira:issue_updated → ${app.key}: 204`);
    expect((await app.records()).webhooks.at(-1)).toMatchObject({ path: '/webhooks/issue-updated?issueKey=NOTE-3', verified: true, body: { webhookEvent: 'jira:issue_updated', issue: { key: 'NOTE-3' } } });

    const unknown = runCli(['webhook', 'jira:issue_created', '--issue', 'NOTE-3', '--site', s.name]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('declares the webhook jira:issue_created');
  });

  test('the product REST API checks app JWTs like the product: signature, iss and qsh', async ({ request }) => {
    const call = async (query = '') => (await request.get(`${app.url}/call-product${query}`)).json();
    expect(await call()).toMatchObject({ status: 200, body: { key: 'NOTE-1', fields: { summary: 'Set up the onboarding checklist' } } });
    expect(await call('?tamper=1')).toMatchObject({ status: 401 });
    expect(await call('?iss=not-the-app-key')).toMatchObject({ status: 401 });

    const url = `${s.baseUrl}/rest/api/3/myself`;
    const forged = appToken(app.key, 'not-the-shared-secret-of-this-installation', 'GET', url, s.baseUrl);
    const refused = await request.get(url, { headers: { authorization: `JWT ${forged}` } });
    expect(refused.status()).toBe(401);
    expect((await refused.json()).errorMessages[0]).toContain('signature');
    expect((await request.get(url, { headers: { authorization: 'JWT not.a.jwt' } })).status()).toBe(401);
    expect((await request.get(url)).status()).toBe(401);
  });

  test('user impersonation: a valid JWT bearer assertion buys a Bearer token that acts as the user', async ({ request }) => {
    const bob = s.users[1];
    const result = await (await request.get(`${app.url}/call-as-user?accountId=${encodeURIComponent(bob.accountId)}`)).json();
    expect(result).toMatchObject({ tokenStatus: 200, tokenType: 'Bearer', expiresIn: 900, status: 200, body: { accountId: bob.accountId, displayName: bob.displayName } });

    const tenant = (await app.records()).tenants.at(-1)!;
    const now = Math.floor(Date.now() / 1000);
    const assertion = (secret: string, claims: Record<string, unknown> = {}) => encodeSymmetric({
      iss: `urn:atlassian:connect:clientid:${tenant.oauthClientId}`, sub: `urn:atlassian:connect:useraccountid:${bob.accountId}`,
      tnt: s.baseUrl, aud: HOST_URL, iat: now, exp: now + 60, ...claims,
    }, secret);
    const token = (a: string) => request.post(`${HOST_URL}/oauth2/token`, { form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: a } });
    expect((await token(assertion('wrong-secret'))).status()).toBe(400);
    expect((await (await token(assertion(tenant.sharedSecret, { tnt: 'https://other.atlassian.net' }))).json()).error).toBe('invalid_grant');
    expect((await token(assertion(tenant.sharedSecret, { aud: 'https://oauth-2-authorization-server.services.atlassian.com' }))).status()).toBe(400);
    expect((await token(assertion(tenant.sharedSecret))).status()).toBe(200);
    expect((await request.get(`${s.baseUrl}/rest/api/3/myself`, { headers: { authorization: 'Bearer simulated.made-up' } })).status()).toBe(401);
  });

  test('disabling hides the panel and refuses the app; uninstalling sends disabled, then uninstalled', async ({ page, request }) => {
    await page.goto(`${HOST_URL}/`);
    const row = page.locator(`[data-site="${s.name}"] tr[data-app-key="${app.key}"]`);
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect(row.locator('[data-state]')).toHaveText('disabled');
    await page.goto(`${HOST_URL}/sites/${s.name}/browse/NOTE-1`);
    await expect(page.getByTestId('no-panels')).toBeVisible();
    expect(await (await request.get(`${app.url}/call-product`)).json()).toMatchObject({ status: 401 });

    await page.goto(`${HOST_URL}/`);
    await row.getByRole('button', { name: 'Enable' }).click();
    await expect(row.locator('[data-state]')).toHaveText('enabled');
    await row.getByRole('button', { name: 'Uninstall' }).click();
    await expect(row.locator('[data-state]')).toHaveText('uninstalled');
    const { lifecycle } = await app.records();
    expect(lifecycle.slice(-4).map((l) => [l.event, l.verified])).toEqual([['disabled', true], ['enabled', true], ['disabled', true], ['uninstalled', true]]);
    expect(lifecycle.at(-1)?.body).toMatchObject({ eventType: 'uninstalled', hasSharedSecret: false });
  });
});

test.describe('the simulator with the app', () => {
  test.describe.configure({ mode: 'serial' });

  let siteName: string;

  test('every page says it is a simulator, not Atlassian', async ({ page }) => {
    for (const path of ['/', '/log', '/sites/acme', '/sites/acme/browse/NOTE-1']) {
      await page.goto(`${HOST_URL}${path}`);
      await expect(page.getByRole('note')).toContainText('Connect host simulator — not Atlassian');
    }
  });

  test('serves its install public key by kid, as Atlassian\'s key server does', async ({ request }) => {
    const dashboard = await (await request.get(`${HOST_URL}/`)).text();
    const kid = /current kid <code>([\w-]+)<\/code>/.exec(dashboard)?.[1];
    const key = await request.get(`${HOST_URL}/install-keys/${kid}`);
    expect(key.status()).toBe(200);
    expect(await key.text()).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect((await request.get(`${HOST_URL}/install-keys/00000000-0000-0000-0000-000000000000`)).status()).toBe(404);
  });

  test('installs the app from the dashboard: the app accepts the signed installed callback, then enabled', async ({ page, request, baseURL }) => {
    siteName = `app-${Date.now().toString(36)}`;
    await page.goto(`${HOST_URL}/`);
    await page.getByLabel('New site name').fill(siteName);
    await page.getByRole('button', { name: 'Create site' }).click();
    await expect(page.getByRole('status')).toContainText(`Site ${siteName} created`);

    const card = page.locator(`[data-site="${siteName}"]`);
    await expect(card.getByLabel('Descriptor URL')).toHaveValue(`${baseURL}/atlassian-connect.json`);
    await card.getByRole('button', { name: 'Install app' }).click();
    await expect(page.getByRole('status')).toContainText('enabled');
    await expect(card.locator('[data-state]')).toHaveText('enabled');

    const { installations } = await site(request, siteName);
    expect(installations).toEqual([expect.objectContaining({ state: 'enabled', lastError: null })]);
    const log = (await (await request.get(`${HOST_URL}/log.json?site=${siteName}`)).json()).entries;
    const lifecycle = log.filter((e: { kind: string }) => e.kind === 'lifecycle').reverse();
    expect(lifecycle.map((e: { url: string; status: number }) => [new URL(e.url).pathname, e.status])).toEqual([
      ['/api/lifecycle/installed', 204],
      ['/api/lifecycle/enabled', 204],
    ]);
    expect(lifecycle[0].token).toMatchObject({ alg: 'RS256', kid: expect.any(String), claims: { aud: baseURL, iss: installations[0].clientKey } });
  });

  test('disable, enable and uninstall send callbacks the app accepts; reinstalling keeps the clientKey', async ({ page, request }) => {
    const before = (await site(request, siteName)).installations[0];
    await page.goto(`${HOST_URL}/`);
    const card = page.locator(`[data-site="${siteName}"]`);
    for (const [button, state] of [['Disable', 'disabled'], ['Enable', 'enabled'], ['Uninstall', 'uninstalled']]) {
      await card.getByRole('button', { name: button, exact: true }).click();
      await expect(card.locator('[data-state]')).toHaveText(state);
      await expect(card.locator('.error')).toHaveCount(0); // the app answered 2xx
    }
    // No wait: the app refuses only an install issued strictly before the uninstall it applied (a replay).
    // `iat` has one-second resolution, so a reinstall in the same second as the uninstall is accepted
    // (SECURITY.md, lib/tenants/store.ts).
    await card.getByRole('button', { name: 'Install again' }).click();
    await expect(card.locator('[data-state]')).toHaveText('enabled');
    const after = (await site(request, siteName)).installations[0];
    expect(after).toMatchObject({ clientKey: before.clientKey, state: 'enabled', lastError: null });
  });

  test('a REST call with a bad JWT gets 401; a correctly signed one gets the issue', async ({ request }) => {
    const { baseUrl, installations } = await site(request, siteName);
    const { appKey, clientKey } = installations[0];
    const secret = hostState().sites[siteName].installations[appKey].sharedSecret;
    const url = `${baseUrl}/rest/api/3/issue/NOTE-1?fields=summary`;
    const get = (token: string) => request.get(url, { headers: { authorization: `JWT ${token}` } });

    expect((await get(appToken(appKey, secret, 'GET', url, baseUrl))).status()).toBe(200);
    expect((await get(appToken(appKey, secret, 'GET', `${baseUrl}/rest/api/3/issue/NOTE-2?fields=summary`, baseUrl))).status()).toBe(401);
    expect((await get(appToken(clientKey, secret, 'GET', url, baseUrl))).status()).toBe(401); // iss must be the app key
    expect((await get(appToken(appKey, `${secret}x`, 'GET', url, baseUrl))).status()).toBe(401);
  });

  test('the log shows every exchange, with token claims but never a secret or a whole token', async ({ page, request }) => {
    const secret = Object.values(hostState().sites[siteName].installations)[0].sharedSecret;
    await page.goto(`${HOST_URL}/log?site=${siteName}`);
    const table = page.locator('[data-log-table]');
    await expect(table).toContainText('/api/lifecycle/installed');
    await expect(table).toContainText('/api/lifecycle/uninstalled');
    await expect(table).toContainText('refused');
    const html = await page.content();
    expect(html).not.toContain(secret);
    expect(html).not.toMatch(JWT_PATTERN);
    expect(html).toContain('"alg": "RS256"');
    const json = await (await request.get(`${HOST_URL}/log.json`)).text();
    expect(json).not.toContain(secret);
    expect(json).not.toMatch(JWT_PATTERN);
  });

  test('the dashboard log panel updates live', async ({ page, request }) => {
    await page.goto(`${HOST_URL}/`);
    const rows = page.locator('[data-log-table] tbody tr');
    const before = await rows.first().getAttribute('data-id');
    await request.get(`${HOST_URL}/install-keys/unknown-kid-for-live-log`);
    await expect(rows.first()).not.toHaveAttribute('data-id', before ?? '');
    await expect(rows.first()).toContainText('unknown kid');
  });
});
