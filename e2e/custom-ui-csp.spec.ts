/**
 * Custom UI hosted as Forge hosts it (host/lib/custom-ui-csp.mjs): the iframe's sandbox and feature policy, and
 * the Content-Security-Policy Atlassian's @forge/csp computes from the manifest's permissions. The sample's own
 * bundle runs under it without a single violation; a bundle that injects a <style>, runs an inline script it
 * created, or calls an origin the manifest does not declare is blocked, as on a real site.
 */
import { expect, test, type Page } from '@playwright/test';
import { HOST_URL, admin, createSite } from './simulator';

const FORGE_PANEL = 'issue-notes-forge';
const panelFrame = (page: Page) => page.locator(`iframe[data-forge-module="${FORGE_PANEL}"]`);

test.describe('Custom UI under Forge’s iframe sandbox and Content-Security-Policy', () => {
  test.describe.configure({ mode: 'serial' });
  let site: string;

  test.beforeAll(async ({ request }) => {
    site = (await createSite(request, 'forge-csp')).name;
    const installed = await admin(request, site, 'forge-install');
    expect(installed.status, installed.body.message).toBe(200);
  });

  /** Opens the issue view; returns the CSP of the panel's document and every CSP complaint the browser logged. */
  async function openPanel(page: Page) {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const document = page.waitForResponse((r) => r.url().includes('/forge/cdn/') && r.url().endsWith('/index.html'));
    await page.goto(`${HOST_URL}/sites/${site}/browse/NOTE-1`);
    const csp = (await document).headers()['content-security-policy'];
    await expect(page.frameLocator(`iframe[data-forge-module="${FORGE_PANEL}"]`).getByText('No notes on this issue yet.')).toBeVisible();
    return { csp, violations };
  }

  test('the iframe has Forge’s sandbox and feature policy; the sample’s bundle renders with no violation', async ({ page }) => {
    const { csp, violations } = await openPanel(page);
    // As listed on https://developer.atlassian.com/platform/forge/custom-ui/iframe/: no popups, no top navigation.
    expect(await panelFrame(page).getAttribute('sandbox')).toBe('allow-downloads allow-forms allow-modals allow-pointer-lock allow-same-origin allow-scripts');
    expect(await panelFrame(page).getAttribute('allow')).toBe('camera; clipboard-write; display-capture; fullscreen; microphone');
    // forge/manifest.yml declares no permissions.content or .external: the strict policy.
    expect(csp).toMatch(/(^|; )style-src 'self' /);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('127.0.0.1:3'); // not the app's origin (its calls go through invokeRemote)
    // The panel above rendered (Atlaskit button included) and nothing was refused on the way.
    expect(violations).toEqual([]);
  });

  test('a bundle that injects a style, runs an inline script or calls an undeclared origin is blocked', async ({ page, baseURL }) => {
    const { violations } = await openPanel(page);
    const frame = page.frames().find((f) => f.url().includes('/forge/cdn/'))!;
    const outcome = await frame.evaluate(async (appOrigin) => {
      const refused: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => refused.push(e.effectiveDirective));
      // What CSS-in-JS does at runtime.
      const style = document.createElement('style');
      style.textContent = '#root { outline: 7px solid rgb(255, 0, 0); }';
      document.head.append(style);
      // An inline script created at runtime (Forge hashes only those in index.html as uploaded).
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true;';
      document.head.append(script);
      // A call to an origin missing from permissions.external.fetch.client: the app itself.
      const undeclared = await fetch(`${appOrigin}/atlassian-connect.json`).then(() => 'answered', () => 'refused');
      // The control: the resource's own origin is allowed.
      const own = await fetch('./index.html').then((r) => (r.ok ? 'answered' : `status ${r.status}`), () => 'refused');
      await new Promise((resolve) => setTimeout(resolve, 200));
      return {
        outline: getComputedStyle(document.getElementById('root')!).outlineStyle,
        inlineRan: (window as { __inlineRan?: boolean }).__inlineRan === true,
        undeclared,
        own,
        refused: [...new Set(refused)].sort(),
      };
    }, baseURL!);
    // The browser names each refusal in the console, which the first test watches: it would have seen one.
    await expect.poll(() => violations.length).toBeGreaterThanOrEqual(3);
    expect(outcome).toEqual({ outline: 'none', inlineRan: false, undeclared: 'refused', own: 'answered', refused: ['connect-src', 'script-src-elem', 'style-src-elem'] });
  });
});
