/**
 * Running behind a tunnel: `npm run tunnel` (with stand-ins for cloudflared and ngrok on PATH), and the app
 * with APP_URL set to the tunnel's https URL: the descriptor's baseUrl, the audience of signed installs and
 * Next's dev-origin allowlist all follow it, whatever host the request reached the dev server by.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ajwt from 'atlassian-jwt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { stableTunnel, TunnelError, tunnelUrlIn, writeAppUrl } from '../../scripts/tunnel.mjs';
import { createTestDatabase, newKey, type TestDatabase } from '../helpers/db';
import { installPayload, startKeyServer, type KeyServer } from '../helpers/product';
import { startNode } from './helpers';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TUNNEL = 'https://abc-def-ghi.trycloudflare.com';

describe('npm run tunnel', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'tunnel-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A folder with a fake `name` that records its arguments, prints `lines` to stderr and waits to be stopped. */
  function fakeTunnel(name: string, lines: string[]) {
    const bin = path.join(work, `bin-${name}`);
    mkdirSync(bin, { recursive: true });
    const script = `#!/bin/sh\necho "$*" > "${path.join(bin, 'args')}"\n${lines.map((l) => `echo '${l}' >&2`).join('\n')}\nexec sleep 60\n`;
    writeFileSync(path.join(bin, name), script);
    chmodSync(path.join(bin, name), 0o755);
    return bin;
  }
  const tunnel = (args: string[], bin: string) => startNode([path.join(ROOT, 'scripts/tunnel.mjs'), ...args], {
    cwd: work,
    // Only the fake tunnel and the shell tools it uses: a real cloudflared or ngrok here must not be found.
    env: { PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`, PORT: '3000' },
  });

  it('starts cloudflared, prints the APP_URL to use and writes it to .env.local with --write-env', async () => {
    const bin = fakeTunnel('cloudflared', [
      '2026-11-23T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...',
      '2026-11-23T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |',
      `2026-11-23T10:00:01Z INF |  ${TUNNEL}                                |`,
    ]);
    writeFileSync(path.join(work, '.env.local'), 'APP_URL=https://old.trycloudflare.com\nOTHER=kept\n');
    const run = tunnel(['--write-env'], bin);
    const output = await run.waitFor('Ctrl-C stops the tunnel', 20_000);
    expect(output).toContain(`\nAPP_URL=${TUNNEL}\n`);
    expect(output).toContain('npm run dev -- --no-host');
    expect(readFileSync(path.join(bin, 'args'), 'utf8').trim()).toBe('tunnel --url http://localhost:3000');
    expect(readFileSync(path.join(work, '.env.local'), 'utf8')).toBe(`APP_URL=${TUNNEL}\nOTHER=kept\n`);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('starts ngrok when asked, on the given port, and reads the URL from its JSON log', async () => {
    const bin = fakeTunnel('ngrok', [`{"lvl":"info","msg":"started tunnel","obj":"tunnels","name":"command_line","addr":"http://localhost:3100","url":"https://1234-abcd.ngrok-free.app"}`]);
    const run = tunnel(['--provider', 'ngrok', '--port', '3100'], bin);
    const output = await run.waitFor('Ctrl-C stops the tunnel', 20_000);
    expect(output).toContain('APP_URL=https://1234-abcd.ngrok-free.app\n');
    expect(output).toContain('APP_URL=https://1234-abcd.ngrok-free.app npm run dev -- --no-host');
    expect(readFileSync(path.join(bin, 'args'), 'utf8').trim()).toBe('http 3100 --log stdout --log-format json');
    await run.stop('SIGTERM');
  });

  it('explains how to install one when neither is there', async () => {
    const empty = path.join(work, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const run = tunnel([], empty);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('No tunnel program found (looked for cloudflared and ngrok on PATH)');
    expect(run.output()).toContain('brew install cloudflared');
    expect(run.output()).toContain('ngrok config add-authtoken');
    expect(run.output()).toContain('set APP_URL to its https URL');
  });

  it('keeps one URL across restarts with a named cloudflared tunnel, stored in .env.local', async () => {
    const dir = mkdtempSync(path.join(work, 'named-'));
    const bin = fakeTunnel('cloudflared', [
      '2026-12-06T02:00:00Z INF Starting tunnel tunnelID=a78a4fc8-3e57-4821-b959-8ec39fdacc95',
      '2026-12-06T02:00:01Z INF Registered tunnel connection connIndex=0 connection=bb527b3a-8a27-467b-9fca-84972898be5c event=0 ip=198.41.200.13 location=fra08 protocol=quic',
    ]);
    const start = (args: string[]) => startNode([path.join(ROOT, 'scripts/tunnel.mjs'), ...args], {
      cwd: dir, env: { PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`, PORT: '3000' },
    });
    const first = start(['--url', 'https://notes-dev.example.com', '--name', 'notes-dev', '--write-env']);
    expect(await first.waitFor('Ctrl-C stops the tunnel', 20_000)).toContain('\nAPP_URL=https://notes-dev.example.com\n');
    expect(readFileSync(path.join(bin, 'args'), 'utf8').trim()).toBe('tunnel run --url http://localhost:3000 notes-dev');
    expect(readFileSync(path.join(dir, '.env.local'), 'utf8')).toBe('APP_URL=https://notes-dev.example.com\nTUNNEL_URL=https://notes-dev.example.com\nTUNNEL_NAME=notes-dev\n');
    await first.stop('SIGINT');

    // A restart, with no flags: the same tunnel and the same URL, so nothing to redeploy.
    const again = start([]);
    const output = await again.waitFor('Ctrl-C stops the tunnel', 20_000);
    expect(output).toContain('APP_URL=https://notes-dev.example.com\n');
    expect(output).toContain('stays the same when the tunnel restarts');
    expect(readFileSync(path.join(bin, 'args'), 'utf8').trim()).toBe('tunnel run --url http://localhost:3000 notes-dev');
    await again.stop('SIGINT');
  });

  it('keeps one URL across restarts with an ngrok domain (--url alone)', async () => {
    const bin = fakeTunnel('ngrok', ['{"lvl":"info","msg":"started tunnel","obj":"tunnels","name":"command_line","addr":"http://localhost:3000","url":"https://calm-otter-example.ngrok-free.dev"}']);
    const run = tunnel(['--url', 'https://calm-otter-example.ngrok-free.dev'], bin);
    const output = await run.waitFor('Ctrl-C stops the tunnel', 20_000);
    expect(output).toContain('APP_URL=https://calm-otter-example.ngrok-free.dev\n');
    expect(readFileSync(path.join(bin, 'args'), 'utf8').trim()).toBe('http 3000 --url https://calm-otter-example.ngrok-free.dev --log stdout --log-format json');
    await run.stop('SIGTERM');
  });

  it('a quick tunnel says its URL changes on restart and where the stable setup is', async () => {
    const bin = fakeTunnel('cloudflared', [`INF |  ${TUNNEL}  |`]);
    const run = tunnel([], bin);
    expect(await run.waitFor('Ctrl-C stops the tunnel', 20_000)).toContain('A tunnel URL that survives restarts');
    await run.stop('SIGTERM');
  });

  it('refuses a stable-URL setting it cannot serve', () => {
    const refuse = (flags: Record<string, string>, env: Record<string, string> = {}) => {
      try {
        stableTunnel(flags, env, work);
      } catch (err) {
        expect(err).toBeInstanceOf(TunnelError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refuse({}, { TUNNEL_NAME: 'notes-dev' })).toContain('needs TUNNEL_URL');
    expect(refuse({ url: 'http://notes-dev.example.com' })).toContain('https');
    expect(refuse({ url: 'https://notes-dev.example.com/app' })).toContain('bare https origin');
    expect(refuse({ url: 'https://notes-dev.example.com', provider: 'cloudflared' })).toContain('--name');
    expect(stableTunnel({}, { TUNNEL_URL: 'https://x.ngrok-free.dev' }, work)).toEqual({ url: 'https://x.ngrok-free.dev', provider: 'ngrok' });
  });

  it('finds the tunnel URL in either tool\'s output, and nothing else', () => {
    expect(tunnelUrlIn('cloudflared', `INF |  ${TUNNEL}   |`)).toBe(TUNNEL);
    expect(tunnelUrlIn('cloudflared', 'ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": EOF')).toBeNull();
    expect(tunnelUrlIn('ngrok', '{"msg":"started tunnel","url":"https://x.ngrok-free.app"}')).toBe('https://x.ngrok-free.app');
    expect(tunnelUrlIn('ngrok', '{"msg":"started tunnel","url":"tcp://0.tcp.ngrok.io:1234"}')).toBeNull();
    expect(tunnelUrlIn('ngrok', 'not json')).toBeNull();
  });

  it('adds APP_URL to an env file that has none', () => {
    const file = path.join(work, 'fresh.env');
    writeFileSync(file, 'A=1');
    writeAppUrl(file, TUNNEL);
    expect(readFileSync(file, 'utf8')).toBe(`A=1\nAPP_URL=${TUNNEL}\n`);
  });
});

describe('the app with APP_URL set to a tunnel', () => {
  let keys: KeyServer;
  let db: TestDatabase;
  beforeAll(async () => {
    keys = await startKeyServer();
    db = await createTestDatabase('sqlite', 'tunnel');
  });
  afterAll(async () => {
    const { getDb } = await import('@/lib/db/client');
    await getDb().$disconnect();
    await db?.dispose();
    await keys?.close();
  });
  afterEach(() => vi.unstubAllEnvs());

  /** A fresh process's view of the environment `npm run dev` passes to the app behind a tunnel. */
  async function appBehindTunnel() {
    vi.resetModules();
    delete (globalThis as { __connectNextTenantStore?: unknown }).__connectNextTenantStore;
    vi.stubEnv('NODE_ENV', 'development');
    vi.stubEnv('APP_URL', TUNNEL);
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('ENCRYPTION_KEY', newKey());
    vi.stubEnv('CONNECT_INSTALL_KEYS_URL', keys.url);
    vi.stubEnv('CONNECT_ALLOWED_HOSTS', '*.atlassian.net');
    return {
      descriptor: await import('@/app/atlassian-connect.json/route'),
      lifecycle: await import('@/app/api/lifecycle/[event]/route'),
    };
  }

  /** An `installed` callback signed as Atlassian signs it, for the app at `audience`; it reaches the dev server as localhost. */
  function signedInstall(audience: string) {
    const payload = { ...installPayload(), eventType: 'installed' };
    const now = Math.floor(Date.now() / 1000);
    const qsh = ajwt.createQueryStringHash(ajwt.fromMethodAndUrl('POST', `${audience}/api/lifecycle/installed`), false, audience);
    const token = ajwt.encodeAsymmetric({ iss: payload.clientKey, aud: audience, iat: now, exp: now + 180, qsh, sub: 'connect:installer' },
      keys.privateKeyPem, ajwt.AsymmetricAlgorithm.RS256, { kid: keys.kid });
    return new Request('http://localhost:3000/api/lifecycle/installed', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
      body: JSON.stringify(payload),
    });
  }
  const params = { params: Promise.resolve({ event: 'installed' }) };

  it('serves the descriptor with the tunnel as baseUrl', async () => {
    const { descriptor } = await appBehindTunnel();
    expect((await descriptor.GET().json()).baseUrl).toBe(TUNNEL);
  });

  it('accepts a signed install addressed to the tunnel URL', async () => {
    const { lifecycle } = await appBehindTunnel();
    const response = await lifecycle.POST(signedInstall(TUNNEL), params);
    expect(response.status, await response.clone().text()).toBe(204);
    expect(await db.db.tenant.count()).toBe(1);
  });

  it('refuses one addressed to localhost: the audience is APP_URL, not the host the request came in by', async () => {
    const { lifecycle } = await appBehindTunnel();
    const response = await lifecycle.POST(signedInstall('http://localhost:3000'), params);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'WRONG_AUDIENCE' });
  });

  it('lets Next serve its dev resources to the tunnel host', async () => {
    const read = async (appUrl?: string) => {
      const env: Record<string, string | undefined> = { PATH: process.env.PATH, APP_URL: appUrl };
      const { stdout } = await promisify(execFile)(process.execPath,
        ['-e', "console.log(JSON.stringify(require('./next.config.js').allowedDevOrigins))"], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
      return JSON.parse(stdout);
    };
    expect(await read(TUNNEL)).toEqual(['abc-def-ghi.trycloudflare.com']);
    expect(await read('http://localhost:3000')).toEqual([]);
    expect(await read()).toEqual([]);
  });
});
