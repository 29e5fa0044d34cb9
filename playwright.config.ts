import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// This machine (and many CI images) cannot download Playwright's browsers; Debian's Chromium works.
// Where it is absent, Playwright's own browser is used as usual.
const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const port = Number(process.env.E2E_PORT ?? 3100);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 30_000,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.PLAYWRIGHT_CHROMIUM_PATH ?? systemChromium,
      // Without these, Chromium keeps calling Google's services, which a closed network refuses.
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: {
    // A production build of the app on its own port and database, so tests never touch dev data.
    command: `node e2e/serve.mjs ${port}`,
    url: `http://127.0.0.1:${port}/atlassian-connect.json`,
    timeout: 300_000,
    reuseExistingServer: false,
    // The simulator logs every exchange; E2E_VERBOSE=1 shows them with the app's logs.
    stdout: process.env.E2E_VERBOSE ? 'pipe' : 'ignore',
  },
});
