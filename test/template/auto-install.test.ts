/**
 * Development auto-install into a real site (scripts/auto-install.mjs, `npm run dev` with ATLASSIAN_SITE):
 * the settings it accepts and refuses, the UPM exchange against the local simulator's implementation of it
 * (host/lib/upm.mjs) with a reference app, and `npm run dev` itself against a recording UPM, install on start
 * and uninstall on Ctrl-C. The API token must never appear in anything printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoInstallError, autoInstallSettings, INSTALL_CONTENT_TYPE, installApp, uninstallApp } from '../../scripts/auto-install.mjs';
import { freePort, startNode, type Running } from './helpers';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'ATATT3xFfGF0-never-print-me-0123456789';
const EMAIL = 'dev@acme.example';
const TUNNEL = 'https://abc-def-ghi.trycloudflare.com';
const base = { ATLASSIAN_SITE: 'acme', ATLASSIAN_EMAIL: EMAIL, ATLASSIAN_API_TOKEN: TOKEN, APP_URL: TUNNEL };

function configError(env: Record<string, string | undefined>): string {
  try {
    autoInstallSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(AutoInstallError);
    expect((err as AutoInstallError).code).toBe('CONFIG');
    expect((err as Error).message).not.toContain(TOKEN);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('auto-install settings', () => {
  it('are off without ATLASSIAN_SITE', () => {
    expect(autoInstallSettings({ ATLASSIAN_EMAIL: EMAIL, ATLASSIAN_API_TOKEN: TOKEN })).toBeNull();
  });

  it('take a site by name, host or URL, and the descriptor from APP_URL', () => {
    expect(autoInstallSettings(base)).toEqual({
      site: 'https://acme.atlassian.net', email: EMAIL, apiToken: TOKEN, appUrl: TUNNEL, descriptorUrl: `${TUNNEL}/atlassian-connect.json`, uninstallOnExit: false,
    });
    expect(autoInstallSettings({ ...base, ATLASSIAN_SITE: 'acme.atlassian.net' })?.site).toBe('https://acme.atlassian.net');
    expect(autoInstallSettings({ ...base, ATLASSIAN_SITE: 'https://acme.atlassian.net/wiki/', ATLASSIAN_UNINSTALL_ON_EXIT: '1' })).toMatchObject({ site: 'https://acme.atlassian.net/wiki', uninstallOnExit: true });
  });

  it('name what is missing when the site is set without credentials', () => {
    expect(configError({ ATLASSIAN_SITE: 'acme', APP_URL: TUNNEL })).toMatch(/ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN are not/);
    expect(configError({ ...base, ATLASSIAN_API_TOKEN: ' ' })).toMatch(/ATLASSIAN_API_TOKEN is not/);
  });

  it.each([
    [undefined, 'APP_URL is not set'],
    ['http://localhost:3000', 'APP_URL is http://localhost:3000, which your Atlassian site cannot reach'],
    ['https://127.0.0.1:3000', 'cannot reach'],
    ['http://192.168.1.20:3000', 'cannot reach'],
    ['http://abc.trycloudflare.com', 'APP_URL must be https'],
  ])('refuse APP_URL=%s, saying how to get a public https URL', (appUrl, message) => {
    const error = configError({ ...base, APP_URL: appUrl });
    expect(error).toContain(message);
    expect(error).toContain('npm run tunnel');
  });

  it('refuse a site over plain http (except the local simulator) or with credentials in it', () => {
    expect(configError({ ...base, ATLASSIAN_SITE: 'http://acme.atlassian.net' })).toContain('must be an https URL');
    expect(configError({ ...base, ATLASSIAN_SITE: `https://${EMAIL}:x@acme.atlassian.net` })).toContain('must not carry credentials');
    expect(autoInstallSettings({ ...base, ATLASSIAN_SITE: 'http://127.0.0.1:4000/sites/acme' })?.site).toBe('http://127.0.0.1:4000/sites/acme');
  });
});

describe('installing through UPM into the local simulator', () => {
  let work: string;
  let simulator: Running;
  let fakeApp: Running;
  let hostUrl: string;
  let appUrl: string;
  let site: string;
  const appKey = 'com.example.simulator-fake-app';

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'auto-install-'));
    hostUrl = `http://127.0.0.1:${await freePort()}`;
    site = `${hostUrl}/sites/acme`;
    fakeApp = startNode(['host/testing/fake-app.mjs', String(await freePort())], { cwd: ROOT, env: { ...process.env, HOST_URL: hostUrl } });
    appUrl = /fake app listening on (\S+)/.exec(await fakeApp.waitFor(/listening on \S+/))?.[1] ?? '';
    simulator = startNode(['host/cli.mjs'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', HOST_PORT: new URL(hostUrl).port, HOST_URL: hostUrl, APP_URL: appUrl, HOST_DATA_DIR: path.join(work, 'host'), HOST_LOG: 'silent', HOST_AUTO_INSTALL: '' },
    });
    for (let i = 0; i < 150; i++) {
      if (await fetch(`${hostUrl}/sites.json`).then((r) => r.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 30_000);
  afterAll(async () => {
    await Promise.all([simulator?.stop(), fakeApp?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  const installation = async () => {
    const { sites } = await (await fetch(`${hostUrl}/sites.json`)).json();
    return sites.find((s: { name: string }) => s.name === 'acme').installations.find((i: { appKey: string }) => i.appKey === appKey);
  };
  const received = async () => (await (await fetch(`${appUrl}/_test/records`)).json()).lifecycle as { event: string; verified: boolean }[];
  const credentials = () => ({ site, email: EMAIL, apiToken: TOKEN });

  it('installs the app from its descriptor URL and waits until the site has enabled it', async () => {
    const result = await installApp({ ...credentials(), descriptorUrl: `${appUrl}/atlassian-connect.json`, appKey });
    expect(result).toEqual({ key: appKey, enabled: true, reinstalled: false });
    expect(await installation()).toMatchObject({ state: 'enabled', descriptorUrl: `${appUrl}/atlassian-connect.json` });
    expect((await received()).map((r) => [r.event, r.verified])).toEqual([['installed', true], ['enabled', true]]);
  });

  it('reinstalls an installed app (to pick up descriptor changes)', async () => {
    expect(await installApp({ ...credentials(), descriptorUrl: `${appUrl}/atlassian-connect.json`, appKey })).toMatchObject({ reinstalled: true });
  });

  it('uninstalls it, and reports an app that is not installed', async () => {
    expect(await uninstallApp({ ...credentials(), appKey })).toBe(true);
    expect(await installation()).toMatchObject({ state: 'uninstalled' });
    expect((await received()).at(-1)).toMatchObject({ event: 'uninstalled', verified: true });
    expect(await uninstallApp({ ...credentials(), appKey })).toBe(false);
  });

  it('reports a failed install with the site\'s reason and a hint, without the token', async () => {
    const error = await installApp({ ...credentials(), descriptorUrl: `http://127.0.0.1:${await freePort()}/atlassian-connect.json` }).catch((e) => e);
    expect(error).toBeInstanceOf(AutoInstallError);
    expect(error.code).toBe('FAILED');
    expect(error.message).toMatch(/could not install the app: .+\. It fetches the descriptor from APP_URL: is the tunnel up/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('reports refused credentials as such', async () => {
    const error = await installApp({ ...credentials(), apiToken: '', descriptorUrl: `${appUrl}/atlassian-connect.json` }).catch((e) => e);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('did not accept ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN (HTTP 401)') });
  });
});

/** A stand-in for a cloud site's UPM that records what it is asked. `refuse` makes installs answer 403. */
async function recordingUpm(options: { refuse?: boolean } = {}) {
  const requests: { method: string; url: string; auth: string; contentType?: string; body: string }[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    requests.push({ method: req.method ?? '', url: req.url ?? '', auth, contentType: req.headers['content-type'], body });
    const url = new URL(req.url ?? '/', 'http://upm');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    if (req.method === 'GET' && url.pathname === '/rest/plugins/1.0/') return json(200, { plugins: [] }, { 'upm-token': 'upm-123' });
    if (req.method === 'POST' && url.pathname === '/rest/plugins/1.0/') {
      // A real site echoes nothing secret; this one does, to prove messages are redacted anyway.
      if (options.refuse) return json(403, { message: `Development mode is off (request by ${auth})` });
      return json(202, { type: 'INSTALL', pingAfter: 50, status: { done: false }, links: { self: '/rest/plugins/1.0/pending/task-1' } });
    }
    if (req.method === 'GET' && url.pathname === '/rest/plugins/1.0/pending/task-1') {
      const key = JSON.parse(requests.find((r) => r.method === 'POST')?.body ?? '{}').pluginName;
      return res.writeHead(303, { location: `/rest/plugins/1.0/${key}-key` }).end();
    }
    const plugin = /^\/rest\/plugins\/1\.0\/(.+)-key$/.exec(url.pathname);
    if (plugin && req.method === 'GET') return json(200, { key: plugin[1], enabled: true });
    if (plugin && req.method === 'DELETE') return res.writeHead(204).end();
    return json(404, { message: 'not here' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('a site that refuses installs', () => {
  it('gets the development-mode advice, and the token is redacted even if the site echoes it', async () => {
    const upm = await recordingUpm({ refuse: true });
    try {
      const error = await installApp({ site: upm.url, email: EMAIL, apiToken: TOKEN, descriptorUrl: `${TUNNEL}/atlassian-connect.json` }).catch((e) => e);
      expect(error).toMatchObject({ code: 'REFUSED' });
      expect(error.message).toContain('refused to install the app (HTTP 403: Development mode is off');
      expect(error.message).toContain('turn on development mode');
      expect(error.message).not.toContain(TOKEN);
      expect(upm.requests[1]).toMatchObject({ method: 'POST', url: '/rest/plugins/1.0/?token=upm-123', contentType: INSTALL_CONTENT_TYPE });
    } finally {
      await upm.close();
    }
  });
});

describe('npm run dev with ATLASSIAN_SITE', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'dev-auto-install-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const devEnv = (extra: Record<string, string>) => {
    const { NODE_ENV: _, ...rest } = process.env;
    return { ...rest, ...base, DATABASE_URL: `file:${path.join(work, 'dev.db')}`, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  };

  it('refuses an APP_URL the site cannot reach before starting anything', async () => {
    const dev = startNode(['scripts/dev.mjs'], { cwd: ROOT, env: devEnv({ APP_URL: 'http://localhost:3000' }) });
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toContain('[dev] APP_URL is http://localhost:3000, which your Atlassian site cannot reach: start a tunnel (npm run tunnel)');
    expect(dev.output()).not.toContain('Applied');
    expect(dev.output()).not.toContain(TOKEN);
  });

  it('runs the app alone, installs it from APP_URL on start and uninstalls it on Ctrl-C', async () => {
    const upm = await recordingUpm();
    const port = await freePort();
    // Its own build folder (one the type check already knows), so it never meets a developer's `next dev`.
    const dev = startNode(['scripts/dev.mjs'], {
      cwd: ROOT,
      env: devEnv({ ATLASSIAN_SITE: upm.url, ATLASSIAN_UNINSTALL_ON_EXIT: '1', PORT: String(port), NEXT_DIST_DIR: '.next-e2e' }),
    });
    try {
      const output = await dev.waitFor(/\[dev\] Installed \S+ into/, 120_000);
      expect(output).toContain(`[dev] ATLASSIAN_SITE is set: no simulator; the app will be installed into ${upm.url} from ${TUNNEL}/atlassian-connect.json.`);
      // Nothing points the app at the simulator: a real site signs installs with Atlassian's keys.
      expect(output).not.toMatch(/CONNECT_INSTALL_KEYS_URL=|Connect host simulator/);

      const descriptor = await (await fetch(`http://localhost:${port}/atlassian-connect.json`)).json();
      expect(descriptor.baseUrl).toBe(TUNNEL);
      const install = upm.requests.find((r) => r.method === 'POST');
      expect(install).toMatchObject({ auth: `${EMAIL}:${TOKEN}`, contentType: INSTALL_CONTENT_TYPE });
      expect(JSON.parse(install?.body ?? '{}')).toEqual({ pluginUri: `${TUNNEL}/atlassian-connect.json`, pluginName: descriptor.key });

      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(130);
      expect(upm.requests.at(-1)).toMatchObject({ method: 'DELETE', url: `/rest/plugins/1.0/${descriptor.key}-key` });
      expect(dev.output()).toContain(`[dev] Uninstalled ${descriptor.key}.`);
      expect(dev.output()).not.toContain(TOKEN);
      // The app went with it (it ran in a process group of its own, to outlive the terminal's Ctrl-C).
      expect(await fetch(`http://localhost:${port}/atlassian-connect.json`).then(() => 'answers', () => 'stopped')).toBe('stopped');
    } finally {
      await dev.stop('SIGTERM');
      await upm.close();
    }
  }, 180_000);
});
