/**
 * Which Chromium the browser tests run in, decided once before they start (playwright.config.ts), so a machine
 * without one gets one clear line instead of a launch error per test:
 *
 *   1. PLAYWRIGHT_CHROMIUM_PATH, when set (it must exist);
 *   2. the system's Chromium (/usr/bin/chromium, /usr/bin/chromium-browser), as many CI images have;
 *   3. Playwright's own Chromium, when installed;
 *   4. otherwise Playwright's Chromium is installed now (`playwright install chromium`, which needs the network);
 *      if that fails, the tests stop with one line saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export interface ChromiumOptions {
  env: Record<string, string | undefined>;
  exists?: (file: string) => boolean;
  /** Where Playwright's own Chromium is when installed (`chromium.executablePath()`). */
  bundledPath: string;
  /** Installs Playwright's Chromium; true when it succeeded. */
  install: () => boolean;
}

export class BrowserMissingError extends Error {}

/**
 * The executable to launch, or undefined for Playwright's own (installed, or installed by this call).
 *
 * @example const executablePath = chromiumExecutable({ env: process.env, bundledPath: chromium.executablePath(), install: installChromium })
 */
export function chromiumExecutable({ env, exists = existsSync, bundledPath, install }: ChromiumOptions): string | undefined {
  const chosen = env.PLAYWRIGHT_CHROMIUM_PATH?.trim();
  if (chosen) {
    if (!exists(chosen)) throw new BrowserMissingError(`PLAYWRIGHT_CHROMIUM_PATH is ${chosen}, which does not exist: point it at a Chromium, or unset it.`);
    return chosen;
  }
  const system = SYSTEM_CHROMIUM.find((file) => exists(file));
  if (system) return system;
  if (exists(bundledPath)) return undefined;
  if (install() && exists(bundledPath)) return undefined;
  throw new BrowserMissingError('No Chromium for the browser tests, and Playwright could not download one: run `npx playwright install chromium` where the network allows, or install your system\'s Chromium (e.g. `apt install chromium`), or set PLAYWRIGHT_CHROMIUM_PATH.');
}

/** `playwright install chromium` with the Playwright of the project at `root`; true when it succeeded. */
export function installChromium(root: string): boolean {
  const cli = path.join(root, 'node_modules/@playwright/test/cli.js');
  console.log('[e2e] No Chromium found: installing Playwright\'s (npx playwright install chromium)…');
  const result = spawnSync(process.execPath, [cli, 'install', 'chromium'], { stdio: 'inherit', timeout: 10 * 60_000 });
  return result.status === 0;
}
