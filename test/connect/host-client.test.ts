/**
 * Requests as the app: every token is checked by a fake product with the reference implementation
 * atlassian-jwt (signature, `iss`, `qsh` of the request as it arrived, relative to the tenant baseUrl).
 */
import * as ajwt from 'atlassian-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostClient } from '@/lib/connect/host-client';
import { ProductApiError } from '@/lib/connect/product-error';
import { json, startFakeAtlassian, startServer, type FakeAtlassian } from '../helpers/fake-product-api';
import { APP_KEY } from '../helpers/product';

let jira: FakeAtlassian;
let confluence: FakeAtlassian;
beforeAll(async () => {
  [jira, confluence] = await Promise.all([startFakeAtlassian(), startFakeAtlassian({ contextPath: '/wiki' })]);
});
afterAll(async () => {
  await Promise.all([jira.close(), confluence.close()]);
});

async function rejection(promise: Promise<unknown>): Promise<ProductApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProductApiError);
  return err as ProductApiError;
}

function lastCall(site: FakeAtlassian) {
  return site.product.calls.at(-1)!;
}

describe('asApp: signing', () => {
  it('signs a request with an HS256 JWT the product accepts: iss = app key, qsh of this request', async () => {
    const res = await hostClient(jira.tenant).asApp().fetch('/rest/api/3/issue/NOTE-1?fields=summary');
    expect(res.status).toBe(200);
    const { hit, caller } = lastCall(jira);
    expect(hit.url).toBe('/rest/api/3/issue/NOTE-1?fields=summary');
    expect(hit.headers.authorization).toMatch(/^JWT /);
    expect(caller.as === 'app' && caller.claims.iss).toBe(APP_KEY);
  });

  it('uses HS256 in the token header', async () => {
    await hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself');
    const token = String(lastCall(jira).hit.headers.authorization).slice(4);
    expect(ajwt.getAlgorithm(token)).toBe('HS256');
  });

  it('expires the token three minutes after it was issued', async () => {
    await hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself');
    const { caller } = lastCall(jira);
    if (caller.as !== 'app') throw new Error('expected an app call');
    expect(Number(caller.claims.exp) - Number(caller.claims.iat)).toBe(180);
    expect(Math.abs(Number(caller.claims.iat) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('resolves paths under a context path: /rest/api/content on …/wiki goes to …/wiki/rest/api/content', async () => {
    const res = await hostClient(confluence.tenant).asApp().fetch('/rest/api/content?spaceKey=DOC&limit=5');
    expect(res.status).toBe(200);
    expect(lastCall(confluence).hit.url).toBe('/wiki/rest/api/content?spaceKey=DOC&limit=5');
  });

  it('leaves the context path out of the qsh, as the product does', async () => {
    await hostClient(confluence.tenant).asApp().fetch('/rest/api/space');
    const { hit, caller } = lastCall(confluence);
    if (caller.as !== 'app') throw new Error('expected an app call');
    const canonical = ajwt.createCanonicalRequest(ajwt.fromMethodAndUrl('GET', confluence.product.origin + hit.url), false, confluence.tenant.baseUrl);
    expect(canonical).toBe('GET&/rest/api/space&');
  });

  const paths = [
    '/rest/api/3/search?jql=project%20%3D%20NOTE%20AND%20text%20~%20%22a%20b%22&maxResults=10',
    '/rest/api/3/search?jql=project = NOTE ORDER BY created DESC',
    '/rest/api/3/search?q=a+b&r=a%2Bb',
    '/rest/api/3/search?stars=*&tilde=~&bang=!&quote=\'&paren=(x)',
    '/rest/api/3/user/search?query=Zoë&city=東京',
    '/rest/api/3/issue/NOTE-1?expand=names&expand=changelog&fields=summary&fields=assignee',
    '/rest/api/3/issue/NOTE-1/properties/note%20one',
    '/rest/api/3/ünïcode/path?x=1',
    '/rest/api/3/issue/NOTE-1/?trailing=slash',
    '/rest/api/3/a&b?c=d',
    '/rest/api/3/empty?flag&other=',
    '/rest/api/3/x?semi=a;b&comma=a,b&slash=a/b&colon=a:b&at=a@b&dollar=$',
  ];

  for (const [name, site] of [['Jira', () => jira], ['Confluence /wiki', () => confluence]] as const) {
    it.each(paths)(`${name}: the product's atlassian-jwt check accepts the qsh of %s`, async (path) => {
      const s = site();
      const before = s.product.refusals.length;
      const res = await hostClient(s.tenant).asApp().fetch(path);
      expect(s.product.refusals.slice(before).map((r) => r.reason)).toEqual([]);
      expect(res.status).toBe(200);
    });
  }

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])('signs the method too: %s', async (method) => {
    const res = await hostClient(jira.tenant).asApp().fetch('/rest/api/3/issue/NOTE-1?notifyUsers=false', {
      method,
      ...(method === 'HEAD' || method === 'DELETE' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }),
    });
    expect(res.status).toBe(200);
    expect(lastCall(jira).hit.method).toBe(method);
  });

  it('signs each request afresh, for its own URL', async () => {
    const client = hostClient(jira.tenant).asApp();
    await client.fetch('/rest/api/3/issue/NOTE-1');
    await client.fetch('/rest/api/3/issue/NOTE-2');
    const [a, b] = jira.product.calls.slice(-2).map((c) => (c.caller.as === 'app' ? c.caller.claims.qsh : undefined));
    expect(a).not.toBe(b);
  });

  it('replaces an Authorization header the caller passed', async () => {
    await hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself', { headers: { Authorization: 'Basic c3RvbGVu' } });
    expect(lastCall(jira).hit.headers.authorization).toMatch(/^JWT /);
  });

  it('control: the product refuses a token signed for another URL (its qsh check bites)', async () => {
    const before = jira.product.refusals.length;
    // A fetch that swaps the URL after signing, as a tampering proxy would.
    const tamper: typeof fetch = (url, init) => fetch(String(url).replace('NOTE-1', 'NOTE-2'), init);
    const res = await hostClient(jira.tenant, { fetch: tamper }).asApp().fetch('/rest/api/3/issue/NOTE-1');
    expect(res.status).toBe(401);
    expect(jira.product.refusals.slice(before).map((r) => r.reason)).toEqual(['qsh does not match GET&/rest/api/3/issue/NOTE-2&']);
  });

  it('uses the appKey option as iss', async () => {
    const before = jira.product.refusals.length;
    const res = await hostClient(jira.tenant, { appKey: 'com.example.other' }).asApp().fetch('/rest/api/3/myself');
    expect(res.status).toBe(401);
    expect(jira.product.refusals.slice(before).map((r) => r.reason)).toEqual(['iss is com.example.other']);
  });

  it('accepts an absolute URL on the tenant’s own origin and base path (e.g. a `next` link)', async () => {
    const res = await hostClient(confluence.tenant).asApp().fetch(`${confluence.tenant.baseUrl}/rest/api/content?start=25`);
    expect(res.status).toBe(200);
    expect(lastCall(confluence).hit.url).toBe('/wiki/rest/api/content?start=25');
  });

  it('drops a fragment: it is never sent, so it is not signed', async () => {
    const res = await hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself?x=1#section');
    expect(res.status).toBe(200);
    expect(lastCall(jira).hit.url).toBe('/rest/api/3/myself?x=1');
  });
});

describe('asApp: responses', () => {
  it('fetch returns a non-2xx response as is, without throwing', async () => {
    jira.product.route((_call, res) => json(res, 403, { errorMessages: ['You do not have permission.'] }));
    try {
      const res = await hostClient(jira.tenant).asApp().fetch('/rest/api/3/issue/SECRET-1');
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ errorMessages: ['You do not have permission.'] });
    } finally {
      jira.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  it('getJson parses the JSON answer', async () => {
    const body = await hostClient(jira.tenant).asApp().getJson<{ ok: boolean; path: string }>('/rest/api/3/myself');
    expect(body).toEqual({ ok: true, path: '/rest/api/3/myself' });
    expect(lastCall(jira).hit.headers.accept).toBe('application/json');
  });

  it('postJson and putJson send a JSON body, signed with their method', async () => {
    jira.product.route((call, res) => json(res, call.hit.method === 'POST' ? 201 : 200, { method: call.hit.method, got: JSON.parse(call.hit.body), type: call.hit.headers['content-type'] }));
    try {
      const client = hostClient(jira.tenant).asApp();
      expect(await client.postJson('/rest/api/3/issue/NOTE-1/comment', { body: 'hi' })).toEqual({ method: 'POST', got: { body: 'hi' }, type: 'application/json' });
      expect(await client.putJson('/rest/api/3/issue/NOTE-1/properties/p', { n: 1 })).toEqual({ method: 'PUT', got: { n: 1 }, type: 'application/json' });
    } finally {
      jira.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  it('deleteJson resolves to undefined on 204', async () => {
    jira.product.route((_call, res) => res.writeHead(204).end());
    try {
      expect(await hostClient(jira.tenant).asApp().deleteJson('/rest/api/3/issue/NOTE-1/properties/p')).toBeUndefined();
      expect(lastCall(jira).hit.method).toBe('DELETE');
    } finally {
      jira.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  const cases: [number, string][] = [
    [401, 'PRODUCT_UNAUTHORIZED'],
    [403, 'PRODUCT_FORBIDDEN'],
    [404, 'PRODUCT_NOT_FOUND'],
    [429, 'PRODUCT_ERROR'],
    [500, 'PRODUCT_ERROR'],
    [503, 'PRODUCT_ERROR'],
  ];
  it.each(cases)('JSON helpers map %i to %s, keeping the status and the product’s messages', async (status, code) => {
    jira.product.route((_call, res) => json(res, status, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: { summary: 'required' } }));
    try {
      const err = await rejection(hostClient(jira.tenant).asApp().getJson('/rest/api/3/issue/NOTE-9?jql=secret'));
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(err.errorMessages).toEqual(['Issue does not exist or you do not have permission to see it.', 'required']);
      expect(err.message).toBe(`The product answered ${status} to GET /rest/api/3/issue/NOTE-9.`);
    } finally {
      jira.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  it('reads Confluence’s error shape ({ message })', async () => {
    confluence.product.route((_call, res) => json(res, 403, { statusCode: 403, message: 'Not permitted to view space' }));
    try {
      const err = await rejection(hostClient(confluence.tenant).asApp().getJson('/rest/api/space/DOC'));
      expect(err.code).toBe('PRODUCT_FORBIDDEN');
      expect(err.errorMessages).toEqual(['Not permitted to view space']);
      expect(err.message).toContain('/wiki/rest/api/space/DOC');
    } finally {
      confluence.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  it('never puts the token in the error', async () => {
    jira.product.route((call, res) => json(res, 500, { errorMessages: ['boom'], echoed: call.hit.headers.authorization }));
    try {
      const err = await rejection(hostClient(jira.tenant).asApp().getJson('/rest/api/3/myself'));
      const token = String(lastCall(jira).hit.headers.authorization).slice(4);
      expect(JSON.stringify({ ...err, message: err.message })).not.toContain(token);
    } finally {
      jira.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  it('a 2xx body that is not JSON is PRODUCT_ERROR', async () => {
    jira.product.route((_call, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    try {
      const err = await rejection(hostClient(jira.tenant).asApp().getJson('/rest/api/3/myself'));
      expect(err.code).toBe('PRODUCT_ERROR');
      expect(err.status).toBe(200);
    } finally {
      jira.product.route((call, res) => json(res, 200, { ok: true, path: call.hit.url }));
    }
  });

  it('a product that cannot be reached is PRODUCT_UNREACHABLE', async () => {
    const gone = await startServer((_hit, res) => res.end());
    await gone.close();
    const tenant = { ...jira.tenant, baseUrl: gone.origin };
    const err = await rejection(hostClient(tenant).asApp().getJson('/rest/api/3/myself'));
    expect(err.code).toBe('PRODUCT_UNREACHABLE');
    expect(err.status).toBeNull();
  });
});
