import { chromium, defineConfig } from '@playwright/test';
import { BrowserMissingError, chromiumExecutable, installChromium } from './scripts/playwright-browser';

// Decided in the runner before the app is built: a system Chromium, Playwright's own, or Playwright's installed
// now; without any, one line saying what to install (not one launch error per test). Workers (which have
// TEST_WORKER_INDEX) take the runner's choice without installing again.
let executablePath: string | undefined;
try {
  executablePath = chromiumExecutable({
    env: process.env,
    bundledPath: chromium.executablePath(),
    install: process.env.TEST_WORKER_INDEX === undefined ? () => installChromium(__dirname) : () => false,
  });
} catch (err) {
  if (!(err instanceof BrowserMissingError)) throw err;
  console.error(`[e2e] ${err.message}`);
  process.exit(1);
}
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
      executablePath,
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
