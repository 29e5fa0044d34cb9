/**
 * Where a signed request may go: only the tenant's own origin and base path, never through a redirect
 * to anywhere else (CVE-2023-28155), and never without a time limit. An "evil" server counts every
 * request it receives; the token must never reach it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostClient } from '@/lib/connect/host-client';
import { ProductApiError } from '@/lib/connect/product-error';
import { json, startFakeAtlassian, startServer, type FakeAtlassian, type TestServer } from '../helpers/fake-product-api';

let jira: FakeAtlassian;
let confluence: FakeAtlassian;
let evil: TestServer;
beforeAll(async () => {
  [jira, confluence, evil] = await Promise.all([
    startFakeAtlassian(),
    startFakeAtlassian({ contextPath: '/wiki' }),
    startServer((_hit, res) => json(res, 200, { stolen: true })),
  ]);
});
afterAll(async () => {
  await Promise.all([jira.close(), confluence.close(), evil.close()]);
});
afterEach(() => {
  const ok = (call: { hit: { url: string } }, res: Parameters<typeof json>[0]) => json(res, 200, { ok: true, path: call.hit.url });
  jira.product.route(ok);
  confluence.product.route(ok);
});

async function rejection(promise: Promise<unknown>): Promise<ProductApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProductApiError);
  return err as ProductApiError;
}

function hitsOf(site: FakeAtlassian) {
  return site.product.hits.length;
}

describe('host check: nothing signed leaves for another host or path', () => {
  const port = () => new URL(jira.product.origin).port;
  const refused: [string, () => string][] = [
    ['an absolute URL to another host', () => `${evil.origin}/rest/api/3/myself`],
    ['the same server under another host name', () => `http://localhost:${port()}/rest/api/3/myself`],
    ['another port on the same host', () => `http://127.0.0.1:${new URL(evil.origin).port}/rest/api/3/myself`],
    ['another scheme on the same host and port', () => `https://127.0.0.1:${port()}/rest/api/3/myself`],
    ['a protocol-relative URL', () => `//127.0.0.1:${new URL(evil.origin).port}/x`],
    ['a backslash protocol-relative URL', () => `/\\127.0.0.1:${new URL(evil.origin).port}/x`],
    ['a path without a leading slash', () => `127.0.0.1:${new URL(evil.origin).port}/x`],
    ['credentials in the URL', () => `http://user:pass@127.0.0.1:${port()}/rest/api/3/myself`],
    ['an encoded ../ a server might decode', () => '/rest/api/3/..%2F..%2Fadmin'],
    ['a javascript: URL', () => 'javascript:alert(1)'],
  ];

  it.each(refused)('refuses %s, and sends nothing', async (_name, url) => {
    const before = [hitsOf(jira), evil.hits.length];
    const err = await rejection(hostClient(jira.tenant).asApp().fetch(url()));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect([hitsOf(jira), evil.hits.length]).toEqual(before);
  });

  const outsideWiki: [string, () => string][] = [
    ['a path climbing out with /../', () => '/../rest/api/3/myself'],
    ['a path climbing out with /%2e%2e/', () => '/%2e%2e/admin'],
    ['a path climbing out from deeper', () => '/rest/api/../../../admin'],
    ['an absolute URL on the right origin outside /wiki', () => `${confluence.product.origin}/rest/api/3/myself`],
    ['an absolute URL on a look-alike base path', () => `${confluence.product.origin}/wikipedia/x`],
  ];

  it.each(outsideWiki)('with base path /wiki, refuses %s', async (_name, url) => {
    const before = hitsOf(confluence);
    const err = await rejection(hostClient(confluence.tenant).asApp().fetch(url()));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect(hitsOf(confluence)).toBe(before);
  });

  it('allows ../ that stays under the base path', async () => {
    const res = await hostClient(confluence.tenant).asApp().fetch('/rest/api/x/../content');
    expect(res.status).toBe(200);
    expect(confluence.product.calls.at(-1)!.hit.url).toBe('/wiki/rest/api/content');
  });

  it('the JSON helpers refuse the same way', async () => {
    const err = await rejection(hostClient(jira.tenant).asApp().postJson(`${evil.origin}/collect`, { a: 1 }));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect(evil.hits.length).toBe(0);
  });

  it('the error names no URL of the attacker’s choosing in full and carries no status', async () => {
    const err = await rejection(hostClient(jira.tenant).asApp().fetch(`${evil.origin}/x?token=abc`));
    expect(err.status).toBeNull();
    expect(err.message).not.toContain('token=abc');
  });
});

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('a %i to another host is not followed: the other host never sees a request', async (status) => {
    jira.product.route((_call, res) => res.writeHead(status, { location: `${evil.origin}/steal` }).end());
    const before = evil.hits.length;
    const err = await rejection(hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself'));
    expect(err.code).toBe('REDIRECT_NOT_ALLOWED');
    expect(err.status).toBe(status);
    expect(evil.hits.length).toBe(before);
  });

  const offTenant: [string, () => string][] = [
    ['another port', () => `http://127.0.0.1:${new URL(evil.origin).port}/x`],
    ['another host name for the same server', () => `http://localhost:${new URL(jira.product.origin).port}/x`],
    ['another scheme', () => `https://127.0.0.1:${new URL(jira.product.origin).port}/x`],
    ['a protocol-relative Location', () => `//127.0.0.1:${new URL(evil.origin).port}/x`],
  ];
  it.each(offTenant)('a redirect to %s is refused', async (_name, location) => {
    jira.product.route((_call, res) => res.writeHead(302, { location: location() }).end());
    const before = [evil.hits.length, hitsOf(jira)];
    const err = await rejection(hostClient(jira.tenant).asApp().getJson('/rest/api/3/myself'));
    expect(err.code).toBe('REDIRECT_NOT_ALLOWED');
    expect([evil.hits.length, hitsOf(jira)]).toEqual([before[0], before[1]! + 1]);
  });

  it('a redirect out of the base path (/wiki → /) is refused', async () => {
    confluence.product.route((_call, res) => res.writeHead(302, { location: '/admin' }).end());
    const before = hitsOf(confluence);
    const err = await rejection(hostClient(confluence.tenant).asApp().fetch('/rest/api/space'));
    expect(err.code).toBe('REDIRECT_NOT_ALLOWED');
    expect(hitsOf(confluence)).toBe(before + 1);
  });

  it('a same-host redirect is followed, re-signed for the new URL (checked by atlassian-jwt)', async () => {
    confluence.product.route((call, res) => {
      if (call.hit.url.startsWith('/wiki/rest/api/old')) return res.writeHead(301, { location: '/wiki/rest/api/new?b=2&a=1' }).end();
      json(res, 200, { path: call.hit.url });
    });
    const before = confluence.product.refusals.length;
    const body = await hostClient(confluence.tenant).asApp().getJson('/rest/api/old?x=1');
    expect(body).toEqual({ path: '/wiki/rest/api/new?b=2&a=1' });
    expect(confluence.product.refusals.length).toBe(before);
    const [first, second] = confluence.product.calls.slice(-2).map((c) => (c.caller.as === 'app' ? c.caller.claims.qsh : null));
    expect(first).not.toBe(second);
  });

  it('a relative Location is resolved against the current URL', async () => {
    jira.product.route((call, res) => {
      if (call.hit.url === '/rest/api/3/a/b') return res.writeHead(302, { location: 'c?d=1' }).end();
      json(res, 200, { path: call.hit.url });
    });
    expect(await hostClient(jira.tenant).asApp().getJson('/rest/api/3/a/b')).toEqual({ path: '/rest/api/3/a/c?d=1' });
  });

  it('a 307 keeps the method and body, re-signed', async () => {
    jira.product.route((call, res) => {
      if (call.hit.url === '/rest/api/3/old') return res.writeHead(307, { location: '/rest/api/3/new' }).end();
      json(res, 200, { method: call.hit.method, body: call.hit.body });
    });
    expect(await hostClient(jira.tenant).asApp().postJson('/rest/api/3/old', { a: 1 })).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('a 303 after a POST continues with a GET without the body', async () => {
    jira.product.route((call, res) => {
      if (call.hit.url === '/rest/api/3/create') return res.writeHead(303, { location: '/rest/api/3/created/1' }).end();
      json(res, 200, { method: call.hit.method, body: call.hit.body, type: call.hit.headers['content-type'] ?? null });
    });
    expect(await hostClient(jira.tenant).asApp().postJson('/rest/api/3/create', { a: 1 })).toEqual({ method: 'GET', body: '', type: null });
  });

  it('stops after maxRedirects hops with TOO_MANY_REDIRECTS', async () => {
    jira.product.route((_call, res) => res.writeHead(302, { location: '/rest/api/3/loop' }).end());
    const before = hitsOf(jira);
    const err = await rejection(hostClient(jira.tenant, { maxRedirects: 2 }).asApp().fetch('/rest/api/3/loop'));
    expect(err.code).toBe('TOO_MANY_REDIRECTS');
    expect(hitsOf(jira)).toBe(before + 3);
  });

  it('a redirect without a Location is returned as is', async () => {
    jira.product.route((_call, res) => res.writeHead(304).end());
    const res = await hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself');
    expect(res.status).toBe(304);
  });
});

describe('timeout', () => {
  it('gives up on a product that never answers: PRODUCT_TIMEOUT', async () => {
    jira.product.route(() => undefined);
    const started = Date.now();
    const err = await rejection(hostClient(jira.tenant, { timeoutMs: 200 }).asApp().fetch('/rest/api/3/slow'));
    expect(err.code).toBe('PRODUCT_TIMEOUT');
    expect(err.status).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('JSON helpers also time out on a body that never ends', async () => {
    jira.product.route((_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    const err = await rejection(hostClient(jira.tenant, { timeoutMs: 200 }).asApp().getJson('/rest/api/3/slow-body'));
    expect(err.code).toBe('PRODUCT_TIMEOUT');
  });

  it('fetch stops the timer once headers arrive, leaving a streamed body to the caller', async () => {
    jira.product.route((_call, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      setTimeout(() => res.end('b'), 400);
    });
    const res = await hostClient(jira.tenant, { timeoutMs: 200 }).asApp().fetch('/rest/api/3/stream');
    expect(await res.text()).toBe('ab');
  });

  it('the caller’s own abort signal is reported as the caller’s abort, not a timeout', async () => {
    jira.product.route(() => undefined);
    const controller = new AbortController();
    const pending = hostClient(jira.tenant).asApp().fetch('/rest/api/3/slow', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await pending.then(() => undefined, (e: unknown) => e);
    expect(err).not.toBeInstanceOf(ProductApiError);
    expect((err as Error).name).toBe('AbortError');
  });
});
