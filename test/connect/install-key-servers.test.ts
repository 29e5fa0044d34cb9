/**
 * Install key fetching against real local key servers: Atlassian's primary (the ASAP key distribution) and
 * its fallback (connect-install-keys), as atlassian-connect-express 11.5.0 tries them, and a bounded cache
 * that lets a revoked key go.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { createInstallKeyResolver } from '@/lib/connect/install-token';
import { rsaKeyPair } from '../helpers/product';

const KID = '6f1c2a9e-0b7d-4d61-9d2e-1f0a5b8c3d4e';
const { publicKeyPem } = rsaKeyPair();

interface LocalKeyServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  /** What the server does next: serve the key, 404 (revoked/unknown), 500, hang, or be closed. */
  mode: 'serve' | 'missing' | 'error' | 'hang';
  close: () => Promise<void>;
}

const servers: LocalKeyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function keyServer(mode: LocalKeyServer['mode'] = 'serve'): Promise<LocalKeyServer> {
  const state = { mode, requests: [] as string[] };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(req.url ?? '');
    if (state.mode === 'hang') return;
    if (state.mode === 'error') return void res.writeHead(500).end('boom');
    if (state.mode === 'serve' && req.url === `/${KID}`) return void res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(publicKeyPem);
    res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: LocalKeyServer = {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(handle);
  return handle;
}

/** A port nothing listens on: a server that is down. */
async function downUrl(): Promise<string> {
  const s = await keyServer();
  await s.close();
  servers.splice(servers.indexOf(s), 1);
  return s.url;
}

async function code(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(ConnectError);
  return (err as ConnectError).code;
}

describe('install key servers: primary, then fallback', () => {
  it('takes the key from the primary and never asks the fallback', async () => {
    const [primary, fallback] = [await keyServer(), await keyServer()];
    const key = await createInstallKeyResolver({ keysUrls: [primary.url, fallback.url] })(KID);
    expect(key.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
    expect(primary.requests).toEqual([`/${KID}`]);
    expect(fallback.requests).toEqual([]);
  });

  it('asks the fallback for the same kid when the primary is down', async () => {
    const fallback = await keyServer();
    await createInstallKeyResolver({ keysUrls: [await downUrl(), fallback.url] })(KID);
    expect(fallback.requests).toEqual([`/${KID}`]);
  });

  it('asks the fallback when the primary fails (5xx)', async () => {
    const [primary, fallback] = [await keyServer('error'), await keyServer()];
    await createInstallKeyResolver({ keysUrls: [primary.url, fallback.url] })(KID);
    expect(fallback.requests).toEqual([`/${KID}`]);
  });

  it('asks the fallback when the primary hangs past its timeout', async () => {
    const [primary, fallback] = [await keyServer('hang'), await keyServer()];
    await createInstallKeyResolver({ keysUrls: [primary.url, fallback.url], timeoutMs: 200 })(KID);
    expect(fallback.requests).toEqual([`/${KID}`]);
  });

  it('asks the fallback when the primary does not know the kid (a key not yet distributed there)', async () => {
    const [primary, fallback] = [await keyServer('missing'), await keyServer()];
    await createInstallKeyResolver({ keysUrls: [primary.url, fallback.url] })(KID);
    expect(fallback.requests).toEqual([`/${KID}`]);
  });

  it('refuses an unknown key (401) only when every server answered that it does not know it', async () => {
    const [primary, fallback] = [await keyServer('missing'), await keyServer('missing')];
    expect(await code(createInstallKeyResolver({ keysUrls: [primary.url, fallback.url] })(KID))).toBe('UNKNOWN_KEY');
  });

  it('answers KEY_SERVER_UNAVAILABLE (503, Atlassian retries) when one server does not know the key and the other is down', async () => {
    const primary = await keyServer('missing');
    expect(await code(createInstallKeyResolver({ keysUrls: [primary.url, await downUrl()] })(KID))).toBe('KEY_SERVER_UNAVAILABLE');
  });

  it('answers KEY_SERVER_UNAVAILABLE when both servers are down', async () => {
    expect(await code(createInstallKeyResolver({ keysUrls: [await downUrl(), await downUrl()] })(KID))).toBe('KEY_SERVER_UNAVAILABLE');
  });
});

describe('install key cache: bounded, so a revoked key goes', () => {
  it('serves a fetched key from the cache within the TTL', async () => {
    const primary = await keyServer();
    let now = 0;
    const resolve = createInstallKeyResolver({ keysUrls: [primary.url], ttlMs: 60_000, now: () => now });
    await resolve(KID);
    now = 59_999;
    await resolve(KID);
    expect(primary.requests).toHaveLength(1);
  });

  it('refuses a key the servers revoked once the TTL has passed', async () => {
    const [primary, fallback] = [await keyServer(), await keyServer()];
    let now = 0;
    const resolve = createInstallKeyResolver({ keysUrls: [primary.url, fallback.url], ttlMs: 60_000, now: () => now });
    await resolve(KID);
    primary.mode = 'missing';
    fallback.mode = 'missing';
    now = 60_000;
    expect(await code(resolve(KID))).toBe('UNKNOWN_KEY');
  });

  it('does not fall back to a stale key when the servers cannot be reached after the TTL', async () => {
    const primary = await keyServer();
    let now = 0;
    const resolve = createInstallKeyResolver({ keysUrls: [primary.url], ttlMs: 60_000, now: () => now });
    await resolve(KID);
    primary.mode = 'error';
    now = 60_001;
    expect(await code(resolve(KID))).toBe('KEY_SERVER_UNAVAILABLE');
    primary.mode = 'serve';
    await expect(resolve(KID)).resolves.toBeTruthy();
  });

  it('defaults to a TTL of at most a few minutes', async () => {
    const primary = await keyServer();
    let now = 0;
    const resolve = createInstallKeyResolver({ keysUrls: [primary.url], now: () => now });
    await resolve(KID);
    now = 5 * 60_000;
    await resolve(KID);
    expect(primary.requests).toHaveLength(2);
  });
});
