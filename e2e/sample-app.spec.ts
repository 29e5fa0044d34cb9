/**
 * The sample app's whole journey in a real browser: the host simulator installs the production build,
 * renders the issue panel and the general page in iframes, and sends webhooks, exactly as Jira would.
 * Screenshots of the panel and the page are kept in test-results/.
 */
import { expect, test, type Page } from '@playwright/test';
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl } from 'atlassian-jwt';
import { HOST_URL, admin, createSite, hostState, panel } from './simulator';

const PANEL = 'issue-notes-panel';
const OVERVIEW = 'notes-overview';

test.describe('the Issue notes sample inside the simulated Jira', () => {
  test.describe.configure({ mode: 'serial' });

  let appKey: string;
  let first: string;
  let second: string;
  let panelUrl: string;

  test.beforeAll(async ({ request, baseURL }) => {
    appKey = (await (await request.get(`${baseURL}/atlassian-connect.json`)).json()).key;
    first = (await createSite(request, 'notes-a')).name;
    second = (await createSite(request, 'notes-b')).name;
    for (const site of [first, second]) {
      const installed = await admin(request, site, 'install');
      expect(installed.body.installation?.state, installed.body.message).toBe('enabled');
    }
  });

  const issueView = (page: Page, site: string, issue: string) => page.goto(`${HOST_URL}/sites/${site}/browse/${issue}`);

  test('the issue view shows the panel in its iframe, with all.js connected and the iframe sized to its content', async ({ page }) => {
    const pageLoads: { status: number; headers: Record<string, string> }[] = [];
    const assets: { url: string; status: number; headers: Record<string, string> }[] = [];
    page.on('response', async (r) => {
      const { pathname } = new URL(r.url());
      if (pathname === '/connect/issue-notes') pageLoads.push({ status: r.status(), headers: await r.allHeaders() });
      if (pathname.startsWith('/ui/connect/')) assets.push({ url: r.url(), status: r.status(), headers: await r.allHeaders() });
    });
    await issueView(page, first, 'NOTE-1');
    const iframe = page.locator(`iframe[data-module-key="${PANEL}"]`);
    await expect(iframe).toHaveAttribute('data-ap-ready', 'true');
    await expect(panel(page, PANEL).getByText('No notes on this issue yet.')).toBeVisible();
    expect(pageLoads.map((r) => r.status)).toEqual([200]);
    // Framed only by this site; the page JWT in the URL never leaves as a Referer.
    expect(pageLoads[0].headers).toMatchObject({
      'content-security-policy': `frame-ancestors ${new URL(HOST_URL).origin}`,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    });
    // The shell's bundle (npm run ui:build): content-hashed names, kept by the browser; never framed on its own.
    expect(assets.some((a) => /\/ui\/connect\/issue-notes-\w+\.js$/.test(a.url))).toBe(true);
    for (const a of assets) {
      expect({ url: a.url, status: a.status, ...a.headers }).toMatchObject({
        url: a.url,
        status: 200,
        'cache-control': 'public, max-age=31536000, immutable',
        'content-type': expect.stringMatching(/^(application\/javascript|text\/css)/),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "frame-ancestors 'none'",
      });
    }
    panelUrl = (await iframe.getAttribute('src'))!;
    expect(panelUrl).toMatch(/\/connect\/issue-notes\?.*issueKey=NOTE-1.*jwt=/);

    // ac-content resizing: the iframe follows its content's height, not a fixed default.
    const contentHeight = await panel(page, PANEL).locator('.ac-content').evaluate((el) => el.getBoundingClientRect().height);
    await expect.poll(async () => Math.abs((await iframe.boundingBox())!.height - contentHeight)).toBeLessThan(24);
  });

  test('a note added with the Atlaskit button persists across a reload', async ({ page }) => {
    await issueView(page, first, 'NOTE-3');
    const frame = panel(page, PANEL);
    // The summary is read from the product's REST API, signed as the app and checked by the simulator.
    await expect(frame.getByTestId('issue-summary')).toContainText('NOTE-3');
    await frame.getByLabel('Add a note').fill('Check the release checklist');
    await frame.getByRole('button', { name: 'Add note' }).click();
    await expect(frame.getByTestId('note')).toContainText(['Check the release checklist']);
    await expect(page.locator('.ac-flag')).toContainText('Note added');

    await page.reload();
    await expect(panel(page, PANEL).getByTestId('note')).toContainText(['Check the release checklist']);
    // The author's display name is asked of the product as the signed-in user (OAuth 2.0 JWT bearer).
    await expect(panel(page, PANEL).getByTestId('note')).toContainText([/Alice /]);
    await page.locator(`iframe[data-module-key="${PANEL}"]`).screenshot({ path: test.info().outputPath('issue-panel.png') });
    await page.screenshot({ path: 'test-results/sample-issue-view.png', fullPage: true });
  });

  test('the general page lists the site’s recent notes', async ({ page }) => {
    await page.goto(`${HOST_URL}/sites/${first}/plugins/servlet/ac/${appKey}/${OVERVIEW}`);
    const frame = panel(page, OVERVIEW);
    await expect(frame.getByRole('heading', { name: 'Issue notes' })).toBeVisible();
    await expect(frame.getByTestId('note')).toContainText(['NOTE-3 · ']);
    await page.screenshot({ path: 'test-results/sample-overview.png', fullPage: true });
  });

  test('a second site sees none of the first site’s notes', async ({ page }) => {
    await issueView(page, second, 'NOTE-3');
    await expect(panel(page, PANEL).getByText('No notes on this issue yet.')).toBeVisible();
    await page.goto(`${HOST_URL}/sites/${second}/plugins/servlet/ac/${appKey}/${OVERVIEW}`);
    await expect(panel(page, OVERVIEW).getByText(/No notes on this site yet/)).toBeVisible();
  });

  test('jira:issue_deleted removes the issue’s notes', async ({ page }) => {
    await issueView(page, first, 'NOTE-3');
    await expect(panel(page, PANEL).getByTestId('note')).toHaveCount(1);
    await page.getByRole('button', { name: 'Send jira:issue_deleted' }).click();
    await expect(page.getByRole('status')).toContainText(': 204.');
    await issueView(page, first, 'NOTE-3');
    await expect(panel(page, PANEL).getByText('No notes on this issue yet.')).toBeVisible();
  });

  test('a tampered iframe URL gets the 401 page and no app data', async ({ page }) => {
    const tampered = panelUrl.replace('issueKey=NOTE-1', 'issueKey=NOTE-2');
    const response = await page.goto(tampered);
    expect(response!.status()).toBe(401);
    expect(await response!.headerValue('content-security-policy')).toMatch(/^frame-ancestors /);
    await expect(page.getByRole('heading')).toHaveText('This app could not verify the request');
    await expect(page.getByText('QSH_MISMATCH')).toBeVisible();
    await expect(page.getByTestId('note')).toHaveCount(0);
  });

  test('a page URL that names another product host is refused, even when its own site signed it', async ({ page, baseURL }) => {
    // A site signs its own iframe URLs, so it could name any host in xdm_e; the page would load all.js from there.
    const { clientKey, sharedSecret } = hostState().sites[second].installations[appKey];
    const path = `/connect/issue-notes?issueKey=NOTE-1&xdm_e=${encodeURIComponent('https://evil.example.com')}&cp=`;
    const now = Math.floor(Date.now() / 1000);
    const qsh = createQueryStringHash(fromMethodAndUrl('GET', `${baseURL}${path}`), false, baseURL);
    const jwt = encodeSymmetric({ iss: clientKey, iat: now, exp: now + 60, qsh }, sharedSecret);
    const response = await page.goto(`${baseURL}${path}&jwt=${jwt}`);
    expect(response!.status()).toBe(403);
    await expect(page.getByText('FORBIDDEN')).toBeVisible();
  });

  test('after uninstall the panel fails closed, even with a page token issued before', async ({ page, request }) => {
    const uninstalled = await admin(request, first, 'uninstall', { appKey });
    expect(uninstalled.status, uninstalled.body.message).toBe(200);
    const response = await page.goto(panelUrl);
    expect(response!.status()).toBe(401);
    await expect(page.getByText('TENANT_UNINSTALLED')).toBeVisible();
  });
});
