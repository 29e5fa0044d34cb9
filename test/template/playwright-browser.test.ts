/** Which Chromium `npm test` uses, and the one line a machine without any gets. */
import { describe, expect, it } from 'vitest';
import { BrowserMissingError, chromiumExecutable } from '../../scripts/playwright-browser';

const BUNDLED = '/home/dev/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome';

function resolve(files: string[], env: Record<string, string> = {}, installs: string[] = []) {
  const present = new Set(files);
  let installed = 0;
  const result = () => chromiumExecutable({
    env,
    exists: (f) => present.has(f),
    bundledPath: BUNDLED,
    install: () => {
      installed++;
      for (const f of installs) present.add(f);
      return installs.length > 0;
    },
  });
  return { result, installed: () => installed };
}

describe('the browser for npm test', () => {
  it('takes PLAYWRIGHT_CHROMIUM_PATH first', () => {
    expect(resolve(['/opt/chrome', '/usr/bin/chromium'], { PLAYWRIGHT_CHROMIUM_PATH: '/opt/chrome' }).result()).toBe('/opt/chrome');
  });

  it('refuses a PLAYWRIGHT_CHROMIUM_PATH that does not exist, naming it', () => {
    expect(() => resolve([], { PLAYWRIGHT_CHROMIUM_PATH: '/opt/none' }).result()).toThrow(/PLAYWRIGHT_CHROMIUM_PATH is \/opt\/none/);
  });

  it('uses the system Chromium when there is one', () => {
    expect(resolve(['/usr/bin/chromium-browser']).result()).toBe('/usr/bin/chromium-browser');
  });

  it('uses Playwright’s own Chromium when it is installed, without installing', () => {
    const r = resolve([BUNDLED]);
    expect(r.result()).toBeUndefined();
    expect(r.installed()).toBe(0);
  });

  it('installs Playwright’s Chromium when there is none and the network allows', () => {
    const r = resolve([], {}, [BUNDLED]);
    expect(r.result()).toBeUndefined();
    expect(r.installed()).toBe(1);
  });

  it('stops with one line naming what to install when the download fails', () => {
    const r = resolve([]);
    let error: unknown;
    try {
      r.result();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BrowserMissingError);
    expect((error as Error).message.split('\n')).toHaveLength(1);
    expect((error as Error).message).toContain('npx playwright install chromium');
    expect(r.installed()).toBe(1);
  });
});
