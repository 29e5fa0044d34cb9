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
  /** What the server does next: serve the key, 404 (revoked/unknown), 500, 503 (an outage), hang, or be closed. */
  mode: 'serve' | 'missing' | 'error' | 'unavailable' | 'hang';
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
    if (state.mode === 'unavailable') return void res.writeHead(503, { 'retry-after': '1' }).end('Service Unavailable');
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

describe('unknown kids: remembered briefly, in bounded memory, so junk installs cannot flood the key servers', () => {
  it('refuses a kid every server said it does not know for 30 s without asking again, then asks again', async () => {
    const [primary, fallback] = [await keyServer('missing'), await keyServer('missing')];
    let now = 0;
    const resolve = createInstallKeyResolver({ keysUrls: [primary.url, fallback.url], now: () => now });
    expect(await code(resolve(KID))).toBe('UNKNOWN_KEY');
    now = 29_999;
    expect(await code(resolve(KID))).toBe('UNKNOWN_KEY');
    expect([primary.requests.length, fallback.requests.length]).toEqual([1, 1]);
    // Atlassian has published the key by now: once the 30 s are over, the servers are asked again.
    primary.mode = 'serve';
    now = 30_000;
    await expect(resolve(KID)).resolves.toBeTruthy();
    expect(primary.requests).toHaveLength(2);
  });

  it('never remembers an outage (503, 5xx, no answer) as an unknown kid: the next request asks again', async () => {
    for (const outage of ['unavailable', 'error'] as const) {
      const [primary, fallback] = [await keyServer('missing'), await keyServer(outage)];
      const resolve = createInstallKeyResolver({ keysUrls: [primary.url, fallback.url], now: () => 0 });
      expect(await code(resolve(KID))).toBe('KEY_SERVER_UNAVAILABLE');
      expect(await code(resolve(KID))).toBe('KEY_SERVER_UNAVAILABLE');
      expect(fallback.requests).toHaveLength(2);
      fallback.mode = 'serve';
      await expect(resolve(KID)).resolves.toBeTruthy();
    }
    const primary = await keyServer('missing');
    const resolve = createInstallKeyResolver({ keysUrls: [primary.url, await downUrl()], now: () => 0 });
    expect(await code(resolve(KID))).toBe('KEY_SERVER_UNAVAILABLE');
    expect(await code(resolve(KID))).toBe('KEY_SERVER_UNAVAILABLE');
    expect(primary.requests).toHaveLength(2);
  });

  it('remembers at most 1000 unknown kids: a flood of distinct kids pushes out the oldest instead of growing', async () => {
    const server = await keyServer('missing');
    // One after another, so junk-0 is the oldest.
    const flood = async (resolve: ReturnType<typeof createInstallKeyResolver>, count: number) => {
      for (let i = 0; i < count; i++) expect(await code(resolve(`junk-${i}`))).toBe('UNKNOWN_KEY');
    };
    const options = { keysUrls: [server.url], now: () => 0, lookupBudget: { max: 10_000, windowMs: 30_000 } };

    const full = createInstallKeyResolver(options);
    await flood(full, 1000);
    const asked = server.requests.length;
    expect(await code(full('junk-0'))).toBe('UNKNOWN_KEY');
    expect(server.requests.length).toBe(asked); // still remembered

    const overfull = createInstallKeyResolver(options);
    await flood(overfull, 1001);
    const before = server.requests.length;
    expect(await code(overfull('junk-0'))).toBe('UNKNOWN_KEY');
    expect(server.requests.length).toBe(before + 1); // the oldest was forgotten, not kept beside 1000 others
  });

  it('looks up at most 30 never-seen kids per 30 s (503 beyond, without asking); a kid once valid is never held back', async () => {
    const server = await keyServer();
    let now = 0;
    const resolve = createInstallKeyResolver({ keysUrls: [server.url], now: () => now });
    await resolve(KID); // valid: from now on it is known
    for (let i = 1; i < 30; i++) expect(await code(resolve(`random-${i}`))).toBe('UNKNOWN_KEY');
    expect(server.requests).toHaveLength(30);
    expect(await code(resolve('random-30'))).toBe('KEY_SERVER_UNAVAILABLE');
    now = 29_999;
    expect(await code(resolve('random-31'))).toBe('KEY_SERVER_UNAVAILABLE');
    expect(server.requests).toHaveLength(30);
    now = 30_000;
    expect(await code(resolve('random-32'))).toBe('UNKNOWN_KEY');
    expect(server.requests).toHaveLength(31);

    // A new window spent on junk, then the known kid's key expires from the cache (60 s): still fetched.
    now = 60_000;
    for (let i = 0; i < 30; i++) await code(resolve(`flood-${i}`));
    expect(await code(resolve('flood-30'))).toBe('KEY_SERVER_UNAVAILABLE');
    await expect(resolve(KID)).resolves.toBeTruthy();
    expect(server.requests.at(-1)).toBe(`/${KID}`);
  });
});
