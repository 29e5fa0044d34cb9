/**
 * The sample as a Forge app in a real browser: the simulator installs forge/manifest.yml, renders the
 * Custom UI (the esbuild bundle of the shared notes components) in cross-origin iframes, answers the real
 * @forge/bridge package's calls, and turns invokeRemote into FIT-signed requests to this app's Forge Remote
 * endpoints. Screenshots of the panel and the page are kept in test-results/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type APIRequestContext, type Frame, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { parse } from 'yaml';
import { HOST_DATA_DIR, HOST_URL, ROOT, admin, createSite, panel, site as siteSummary } from './simulator';

const APP_ID: string = parse(readFileSync(path.join(ROOT, 'forge/manifest.yml'), 'utf8')).app.id;
const FORGE_PANEL = 'issue-notes-forge';
const FORGE_PAGE = 'notes-overview-forge';
const CONNECT_PANEL = 'issue-notes-panel';

interface ForgeSite {
  name: string;
  cloudId: string;
  baseUrl: string;
  installationId: string;
  users: { accountId: string; displayName: string }[];
}

const forgePanel = (page: Page) => page.frameLocator(`iframe[data-forge-module="${FORGE_PANEL}"]`);
const issueView = (page: Page, site: string, issue: string) => page.goto(`${HOST_URL}/sites/${site}/browse/${issue}`);
const globalPage = (page: Page, site: string) => page.goto(`${HOST_URL}/sites/${site}/jira/apps/${APP_ID.split('/').pop()}/${FORGE_PAGE}`);

async function forgeSite(request: APIRequestContext, name: string): Promise<ForgeSite> {
  const s = (await siteSummary(request, name)) as unknown as ForgeSite & { forge: { installationId: string; state: string }[] };
  const installed = s.forge.find((f) => f.state === 'installed');
  return { ...s, installationId: installed?.installationId ?? s.forge[0]?.installationId };
}

/** A FIT as the simulator signs it for the issue panel, signed with `key` and living from `iat`. */
async function fit(site: ForgeSite, key: { kid: string; privateKey: CryptoKey }, iat = Math.floor(Date.now() / 1000)) {
  return new SignJWT({
    app: { id: APP_ID, installationId: site.installationId, apiBaseUrl: `${HOST_URL}/forge-api/ex/jira/${site.cloudId}`, environment: { type: 'DEVELOPMENT', id: '00000000-0000-4000-8000-000000000000' }, module: { type: 'jira:issuePanel', key: FORGE_PANEL } },
    context: { cloudId: site.cloudId, siteUrl: site.baseUrl, extension: { type: 'jira:issuePanel', issue: { key: 'NOTE-3', id: '10003', type: 'Task' }, project: { key: 'NOTE', id: '10000', type: 'software' } } },
    principal: site.users[0].accountId,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer('forge/invocation-token')
    .setAudience(APP_ID)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 25)
    .sign(key.privateKey);
}

/**
 * `invokeRemote` of the real @forge/bridge package, called inside a Custom UI iframe the way a user could from
 * the browser console: the package bundled as the app's bundle has it (esbuild, browser IIFE) and evaluated in
 * the iframe, where it talks to the product through the same `__bridge` the app's own code uses. The simulator
 * then signs the FIT Forge would sign for that module and calls the remote at the path asked for.
 */
let bridgeSource: Promise<string> | undefined;
async function invokeRemoteIn(frame: Frame, input: { path: string; method: string; body?: unknown }) {
  bridgeSource ??= build({
    stdin: { contents: "export { invokeRemote } from '@forge/bridge';", resolveDir: ROOT, loader: 'ts' },
    bundle: true, format: 'iife', globalName: '__realForgeBridge', platform: 'browser', target: ['es2022'], write: false, logLevel: 'silent',
  }).then((r) => r.outputFiles[0].text);
  const source = await bridgeSource;
  return frame.evaluate(`(async () => { ${source}; return await __realForgeBridge.invokeRemote(${JSON.stringify(input)}); })()`) as Promise<{ status: number; body: unknown }>;
}

async function forgePanelFrame(page: Page): Promise<Frame> {
  const frame = await (await page.locator(`iframe[data-forge-module="${FORGE_PANEL}"]`).elementHandle())?.contentFrame();
  if (!frame) throw new Error('The Forge issue panel has no frame.');
  return frame;
}

/** The simulator's own FIT key (what only Forge holds): for tests that must sign like it. */
async function simulatorKey() {
  const { kid, privateKeyPem } = JSON.parse(readFileSync(path.join(HOST_DATA_DIR, 'forge-key.json'), 'utf8'));
  return { kid, privateKey: await importPKCS8(privateKeyPem, 'RS256') };
}

test.describe('the Issue notes sample as a Forge app in the simulated Jira', () => {
  test.describe.configure({ mode: 'serial' });

  let first: string;
  let second: string;

  test.beforeAll(async ({ request }) => {
    first = (await createSite(request, 'forge-a')).name;
    second = (await createSite(request, 'forge-b')).name;
    for (const name of [first, second]) {
      const installed = await admin(request, name, 'forge-install');
      expect(installed.status, installed.body.message).toBe(200);
      // avi:forge:installed:app reached the remote's trigger endpoint and was accepted.
      expect(installed.body.deliveries).toEqual([expect.objectContaining({ eventType: 'avi:forge:installed:app', status: 204 })]);
    }
  });

  test('the issue panel renders through the real @forge/bridge, in a cross-origin iframe sized to its content', async ({ page }) => {
    await issueView(page, first, 'NOTE-1');
    const iframe = page.locator(`iframe[data-forge-module="${FORGE_PANEL}"]`);
    await expect(forgePanel(page).getByText('No notes on this issue yet.')).toBeVisible();
    expect(new URL((await iframe.getAttribute('src'))!).origin).not.toBe(new URL(page.url()).origin);
    // The bridge script reports the content height; the product sizes the iframe to it.
    const contentHeight = await forgePanel(page).locator('body').evaluate((el) => el.getBoundingClientRect().height);
    await expect.poll(async () => Math.abs((await iframe.boundingBox())!.height - contentHeight)).toBeLessThan(24);
  });

  test('a note added with the Atlaskit button persists across a reload, with its author’s name', async ({ page }) => {
    await issueView(page, first, 'NOTE-3');
    const frame = forgePanel(page);
    // The summary comes from the simulated product API, called by the remote with the x-forge-oauth-user token.
    await expect(frame.getByTestId('issue-summary')).toContainText('NOTE-3');
    await frame.getByLabel('Add a note').fill('Forge: check the release checklist');
    await frame.getByRole('button', { name: 'Add note' }).click();
    await expect(frame.getByTestId('note')).toContainText(['Forge: check the release checklist']);
    await expect(page.locator('.ac-flag')).toContainText('Note added');

    await page.reload();
    await expect(forgePanel(page).getByTestId('note')).toContainText(['Forge: check the release checklist']);
    await expect(forgePanel(page).getByTestId('note')).toContainText([/Alice /]);
    await page.locator(`iframe[data-forge-module="${FORGE_PANEL}"]`).screenshot({ path: test.info().outputPath('forge-issue-panel.png') });
    await page.screenshot({ path: 'test-results/forge-issue-view.png', fullPage: true });
  });

  test('the global page lists the site’s recent notes', async ({ page }) => {
    await globalPage(page, first);
    const frame = page.frameLocator(`iframe[data-forge-module="${FORGE_PAGE}"]`);
    await expect(frame.getByRole('heading', { name: 'Issue notes' })).toBeVisible();
    await expect(frame.getByTestId('note')).toContainText(['NOTE-3 · ']);
    await page.screenshot({ path: 'test-results/forge-global-page.png', fullPage: true });
  });

  test('a second site sees none of the first site’s notes', async ({ page }) => {
    await issueView(page, second, 'NOTE-3');
    await expect(forgePanel(page).getByText('No notes on this issue yet.')).toBeVisible();
    await globalPage(page, second);
    await expect(page.frameLocator(`iframe[data-forge-module="${FORGE_PAGE}"]`).getByText(/No notes on this site yet/)).toBeVisible();
  });

  test('avi:jira:deleted:issue deletes the issue’s notes exactly once, however often it is delivered', async ({ page }) => {
    await issueView(page, first, 'NOTE-3');
    await expect(forgePanel(page).getByTestId('note')).toHaveCount(1);
    await page.getByRole('button', { name: 'Send avi:jira:deleted:issue' }).click();
    await expect(page.getByRole('status')).toContainText('204 after 1 attempt(s)');
    await expect(forgePanel(page).getByText('No notes on this issue yet.')).toBeVisible();

    // A note written after the deletion is not touched when Forge sends the same event again.
    await forgePanel(page).getByLabel('Add a note').fill('Written after the deletion');
    await forgePanel(page).getByRole('button', { name: 'Add note' }).click();
    await expect(forgePanel(page).getByTestId('note')).toHaveCount(1);
    await page.getByRole('button', { name: 'Send again' }).first().click();
    await expect(page.getByRole('status')).toContainText('the app answered 204');
    await expect(forgePanel(page).getByTestId('note')).toContainText(['Written after the deletion']);
  });

  test('invokeRemote from the panel (the real @forge/bridge) cannot reach the event or uninstall routes: 403, and the notes stay', async ({ page }) => {
    await issueView(page, first, 'NOTE-3');
    await expect(forgePanel(page).getByTestId('note')).toContainText(['Written after the deletion']);
    const frame = await forgePanelFrame(page);
    // The control: the same channel reaches the UI API, so a refusal below is the app's answer, not a broken call.
    const listed = await invokeRemoteIn(frame, { path: '/api/forge/notes?issueKey=NOTE-3', method: 'GET' });
    expect(listed.status).toBe(200);
    expect((listed.body as { notes: unknown[] }).notes).toHaveLength(1);

    const attempts = [
      // Made up: every note of the issue would go.
      { path: '/api/forge/events', method: 'POST', body: { eventType: 'avi:jira:deleted:issue', issue: { id: '10003', key: 'NOTE-3' } } },
      // Made up: the issue's notes would move to another key.
      { path: '/api/forge/events', method: 'POST', body: { eventType: 'avi:jira:updated:issue', issue: { id: '10003', key: 'NOTE-1' }, changelog: { id: '99', items: [{ field: 'Key', fieldtype: 'jira', fromString: 'NOTE-3', toString: 'NOTE-1' }] } } },
      // A lifecycle event.
      { path: '/api/forge/events', method: 'POST', body: { eventType: 'avi:forge:installed:app' } },
      // The whole site's Forge access would be switched off.
      { path: '/api/forge/uninstall', method: 'POST', body: { eventType: 'avi:forge:uninstalled:app' } },
    ];
    for (const attempt of attempts) {
      const answer = await invokeRemoteIn(frame, attempt);
      expect([attempt.path, answer.status]).toEqual([attempt.path, 403]);
      expect(answer.body).toMatchObject({ error: 'FORGE_MODULE_NOT_ALLOWED' });
    }

    await page.reload();
    await expect(forgePanel(page).getByTestId('note')).toContainText(['Written after the deletion']);
    await issueView(page, first, 'NOTE-1');
    await expect(forgePanel(page).getByText('No notes on this issue yet.')).toBeVisible();
  });

  test('a forged or expired invocation token gets nothing', async ({ request, baseURL }) => {
    const s = await forgeSite(request, first);
    const notes = (token: string) => request.get(`${baseURL}/api/forge/notes?issueKey=NOTE-3`, { headers: { authorization: `Bearer ${token}` } });
    // The control: the same claims signed with the simulator's key are accepted.
    const genuine = await notes(await fit(s, await simulatorKey()));
    expect(genuine.status()).toBe(200);
    expect((await genuine.json()).notes).toHaveLength(1);

    const { privateKey } = await generateKeyPair('RS256');
    for (const token of [
      await fit(s, { kid: (await simulatorKey()).kid, privateKey }), // same kid, another key
      await fit(s, await simulatorKey(), Math.floor(Date.now() / 1000) - 300), // expired
    ]) {
      const refused = await notes(token);
      expect(refused.status()).toBe(401);
      const body = await refused.json();
      expect(body).toMatchObject({ error: expect.stringMatching(/^[A-Z_]+$/) });
      expect(body).not.toHaveProperty('notes');
    }
  });

  test('after uninstall the app refuses the installation, even with a token Forge signed', async ({ page, request, baseURL }) => {
    const before = await forgeSite(request, first);
    const uninstalled = await admin(request, first, 'forge-uninstall');
    expect(uninstalled.status, uninstalled.body.message).toBe(200);
    expect(uninstalled.body.deliveries[0]).toMatchObject({ eventType: 'avi:forge:uninstalled:app', endpointKey: 'forge-uninstall', status: 204 });
    const refused = await request.get(`${baseURL}/api/forge/notes?issueKey=NOTE-3`, { headers: { authorization: `Bearer ${await fit(before, await simulatorKey())}` } });
    expect(refused.status()).toBeGreaterThanOrEqual(400);
    expect(refused.status()).toBeLessThan(500);
    expect(await refused.json()).not.toHaveProperty('notes');
    await issueView(page, first, 'NOTE-3');
    await expect(page.locator(`iframe[data-forge-module="${FORGE_PANEL}"]`)).toHaveCount(0);
  });

  test('a Connect site upgraded to Forge keeps its notes: both doors show them', async ({ page, request }) => {
    test.slow(); // two installs and two panels on a shared machine
    const name = (await createSite(request, 'upgrade')).name;
    const installed = await admin(request, name, 'install');
    expect(installed.body.installation?.state, installed.body.message).toBe('enabled');
    await issueView(page, name, 'NOTE-1');
    await panel(page, CONNECT_PANEL).getByLabel('Add a note').fill('Written through Connect');
    await panel(page, CONNECT_PANEL).getByRole('button', { name: 'Add note' }).click();
    await expect(panel(page, CONNECT_PANEL).getByTestId('note')).toContainText(['Written through Connect']);

    const upgraded = await admin(request, name, 'forge-upgrade');
    expect(upgraded.status, upgraded.body.message).toBe(200);
    expect(upgraded.body.deliveries).toEqual([expect.objectContaining({ eventType: 'avi:forge:upgraded:app', status: 204 })]);
    const summary = await siteSummary(request, name);
    expect(summary.installations[0]).toMatchObject({ state: 'enabled', onForge: true });

    await issueView(page, name, 'NOTE-1');
    await expect(forgePanel(page).getByTestId('note')).toContainText(['Written through Connect']);
    await expect(panel(page, CONNECT_PANEL).getByTestId('note')).toContainText(['Written through Connect']);
    // A note added through Forge shows on the Connect side too: one site, one set of notes.
    await forgePanel(page).getByLabel('Add a note').fill('Written through Forge');
    await forgePanel(page).getByRole('button', { name: 'Add note' }).click();
    await expect(forgePanel(page).getByTestId('note')).toHaveCount(2);
    await page.reload();
    await expect(panel(page, CONNECT_PANEL).getByTestId('note')).toHaveCount(2);
    await page.screenshot({ path: 'test-results/forge-upgrade-both-doors.png', fullPage: true });
  });
});
