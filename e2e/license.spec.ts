/**
 * LICENSE_REQUIRED in a real browser (e2e/serve.mjs runs the app with LICENSE_REQUIRED=true and the simulator
 * with HOST_LICENSE=active): a licensed site writes; once its license lapses (the simulator's switch), both
 * panels, Connect and Forge, keep showing the notes, offer no way to write, and say why.
 */
import { expect, test, type Page } from '@playwright/test';
import { HOST_URL, admin, createSite, panel } from './simulator';

const CONNECT_PANEL = 'issue-notes-panel';
const FORGE_PANEL = 'issue-notes-forge';
const forgePanel = (page: Page) => page.frameLocator(`iframe[data-forge-module="${FORGE_PANEL}"]`);

test.describe('an unlicensed site reads but cannot write, and the panel says why', () => {
  test.describe.configure({ mode: 'serial' });

  let connectSite: string;
  let forgeSite: string;

  test.beforeAll(async ({ request }) => {
    connectSite = (await createSite(request, 'lic-connect')).name;
    const installed = await admin(request, connectSite, 'install');
    expect(installed.body.installation?.state, installed.body.message).toBe('enabled');
    forgeSite = (await createSite(request, 'lic-forge')).name;
    const forge = await admin(request, forgeSite, 'forge-install');
    expect(forge.status, forge.body.message).toBe(200);
  });

  const issueView = (page: Page, site: string) => page.goto(`${HOST_URL}/sites/${site}/browse/NOTE-1`);

  for (const door of ['Connect', 'Forge'] as const) {
    test(`${door}: a note written while licensed stays readable after the license lapses; the form is gone and the reason shown`, async ({ page, request }) => {
      const site = door === 'Connect' ? connectSite : forgeSite;
      const frame = () => (door === 'Connect' ? panel(page, CONNECT_PANEL) : forgePanel(page));
      await issueView(page, site);
      await expect(frame().getByText('No notes on this issue yet.')).toBeVisible();
      await expect(frame().getByTestId('read-only')).toHaveCount(0);
      await frame().getByLabel('Add a note').fill(`${door}: written while licensed`);
      await frame().getByRole('button', { name: 'Add note' }).click();
      await expect(frame().getByTestId('note')).toContainText([`${door}: written while licensed`]);

      expect((await admin(request, site, 'license', { license: 'inactive' })).body).toMatchObject({ ok: true, license: 'inactive' });
      await page.reload();
      await expect(frame().getByTestId('note')).toContainText([`${door}: written while licensed`]);
      await expect(frame().getByTestId('read-only')).toContainText('license for the app is not active');
      await expect(frame().getByTestId('read-only')).toHaveAttribute('data-code', 'LICENSE_REQUIRED');
      await expect(frame().getByLabel('Add a note')).toHaveCount(0);
      await expect(frame().getByRole('button', { name: 'Delete' })).toHaveCount(0);
      await page.locator(door === 'Connect' ? `iframe[data-module-key="${CONNECT_PANEL}"]` : `iframe[data-forge-module="${FORGE_PANEL}"]`)
        .screenshot({ path: test.info().outputPath(`${door.toLowerCase()}-unlicensed-panel.png`) });

      // Renewed: writing is back.
      await admin(request, site, 'license', { license: 'active' });
      await page.reload();
      await expect(frame().getByLabel('Add a note')).toBeVisible();
      await expect(frame().getByTestId('read-only')).toHaveCount(0);
    });
  }
});
