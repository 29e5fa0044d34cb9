/**
 * Personal data reporting, both doors, in the browser: a user writes notes in the Connect panel of one site
 * and in the Forge panel of another; the developer closes that user's account from the simulator's
 * dashboard; the report runs (Vercel Cron's route for the Connect site, the Forge scheduled trigger for the
 * Forge site); both panels then show the notes gone.
 */
import { expect, test, type Page } from '@playwright/test';
import { HOST_URL, admin, createSite, panel, site as siteSummary } from './simulator';

const CONNECT_PANEL = 'issue-notes-panel';
const FORGE_PANEL = 'issue-notes-forge';
const CRON_SECRET = process.env.E2E_CRON_SECRET ?? 'e2e-cron-secret-0123456789abcdef';

const forgePanel = (page: Page) => page.frameLocator(`iframe[data-forge-module="${FORGE_PANEL}"]`);
const issueView = (page: Page, site: string, issue: string) => page.goto(`${HOST_URL}/sites/${site}/browse/${issue}`);

test.describe('personal data reporting erases a closed account\'s notes on both doors', () => {
  test.describe.configure({ mode: 'serial' });
  let connectSite: string;
  let forgeSite: string;

  test.beforeAll(async ({ request }) => {
    connectSite = (await createSite(request, 'privacy-connect')).name;
    forgeSite = (await createSite(request, 'privacy-forge')).name;
    const installed = await admin(request, connectSite, 'install');
    expect(installed.body.installation?.state, installed.body.message).toBe('enabled');
    const forge = await admin(request, forgeSite, 'forge-install');
    expect(forge.status, forge.body.message).toBe(200);
  });

  test('Alice\'s notes go from the Connect panel and the Forge panel once her account is closed and the report runs', async ({ page, request, baseURL }) => {
    // Notes by Alice (the default user) in each panel.
    await issueView(page, connectSite, 'NOTE-1');
    const connect = panel(page, CONNECT_PANEL);
    await connect.getByLabel('Add a note').fill('Connect note by Alice');
    await connect.getByRole('button', { name: 'Add note' }).click();
    await expect(connect.getByTestId('note')).toContainText(['Connect note by Alice']);

    await issueView(page, forgeSite, 'NOTE-1');
    const forge = forgePanel(page);
    await forge.getByLabel('Add a note').fill('Forge note by Alice');
    await forge.getByRole('button', { name: 'Add note' }).click();
    await expect(forge.getByTestId('note')).toContainText(['Forge note by Alice']);

    // The developer closes Alice's account on both sites from the dashboard (each site has its own Alice).
    await page.goto(HOST_URL);
    for (const name of [connectSite, forgeSite]) {
      const alice = (await siteSummary(request, name)).users.find((u) => u.displayName.startsWith('Alice'))!;
      const row = page.locator(`article[data-site="${name}"] tr[data-account="${alice.accountId}"]`);
      await row.getByRole('button', { name: 'Close account' }).click();
      await expect(page.locator(`article[data-site="${name}"] tr[data-account="${alice.accountId}"] [data-account-status]`)).toHaveText('closed');
    }

    // Connect door: Vercel Cron's request to the app.
    const refused = await request.get(`${baseURL}/api/cron/privacy-report`, { headers: { authorization: 'Bearer not-the-secret' } });
    expect(refused.status()).toBe(401);
    const cron = await request.get(`${baseURL}/api/cron/privacy-report`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(cron.status()).toBe(200);
    expect(await cron.json()).toMatchObject({ closed: 1, notesErased: 1 });

    // Forge door: the scheduled trigger, fired from the dashboard.
    await page.goto(HOST_URL);
    await page.locator(`article[data-site="${forgeSite}"] [data-forge]`).getByRole('button', { name: 'Run scheduled triggers' }).click();
    await expect(page.locator('body')).toContainText('scheduledTrigger privacy-report: 200');

    await issueView(page, connectSite, 'NOTE-1');
    await expect(panel(page, CONNECT_PANEL).getByText('No notes on this issue yet.')).toBeVisible();
    await issueView(page, forgeSite, 'NOTE-1');
    await expect(forgePanel(page).getByText('No notes on this issue yet.')).toBeVisible();
    await page.screenshot({ path: 'test-results/privacy-forge-panel-after-erasure.png', fullPage: true });
  });

  test('a second run within the cycle sends no report', async ({ request, baseURL }) => {
    const cron = await request.get(`${baseURL}/api/cron/privacy-report`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(await cron.json()).toMatchObject({ batches: 0, reported: 0 });
  });
});
