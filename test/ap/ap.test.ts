/**
 * lib/ap runs in the product's iframe; here it runs in Node against a fake page: `window.location`, a
 * `document` that records the script tags it is given, and a fake `window.AP` standing in for all.js.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

interface FakeScript {
  src?: string;
  onload?: () => void;
  onerror?: () => void;
}

let scripts: FakeScript[];

function page(search: string) {
  scripts = [];
  vi.stubGlobal('window', { location: { search } });
  vi.stubGlobal('document', {
    createElement: (tag: string) => {
      expect(tag).toBe('script');
      return {} as FakeScript;
    },
    head: { appendChild: (script: FakeScript) => scripts.push(script) },
  });
}

/** A context token whose only meaningful claim is `exp` (the client reads it only to schedule a refresh). */
function token(expSeconds: number, id = 'a'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ exp: expSeconds, qsh: 'context-qsh', jti: id })}.sig`;
}

function fakeAP(getToken: () => Promise<string> | void) {
  return {
    context: { getToken: vi.fn(getToken), getContext: vi.fn() },
    resize: vi.fn(),
    sizeToParent: vi.fn(),
    flag: { create: vi.fn() },
  };
}

/** A fresh copy of the module: it keeps the loaded AP and the token in module state. */
async function load() {
  vi.resetModules();
  return { ...(await import('@/lib/ap')), ...(await import('@/lib/ap/api')) };
}

beforeEach(() => page(''));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  delete (globalThis as { AP?: unknown }).AP;
});

describe('allJsUrl: Atlassian’s CDN on real sites, the simulator’s own copy on a loopback host', () => {
  it.each([
    ['?xdm_e=https%3A%2F%2Facme.atlassian.net&cp=', 'https://connect-cdn.atl-paas.net/all.js'],
    ['?xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%2Fwiki', 'https://connect-cdn.atl-paas.net/all.js'],
    ['?xdm_e=https%3A%2F%2Facme.atlassian.net%2Fsome%2Fpath%3Fq%3D1', 'https://connect-cdn.atl-paas.net/all.js'],
    ['?xdm_e=http%3A%2F%2Flocalhost%3A4000%2Fsites%2Facme&cp=%2Fsites%2Facme', 'http://localhost:4000/sites/acme/atlassian-connect/all.js'],
    ['?cp=%2Fwiki', null],
    ['?xdm_e=not%20a%20url', null],
    ['', null],
  ])('%s → %s', async (search, expected) => {
    const { allJsUrl } = await load();
    expect(allJsUrl(search)).toBe(expected);
  });
});

describe('ap(): the host object', () => {
  it('uses an AP that is already on the page, loading nothing', async () => {
    const host = fakeAP(() => undefined);
    (globalThis as { AP?: unknown }).AP = host;
    const { ap } = await load();
    await expect(ap()).resolves.toBe(host);
    expect(scripts).toEqual([]);
  });

  it('outside a Connect iframe (no xdm_e) rejects with NotInConnectHostError, loading nothing', async () => {
    const { ap, NotInConnectHostError } = await load();
    await expect(ap()).rejects.toBeInstanceOf(NotInConnectHostError);
    expect(scripts).toEqual([]);
  });

  it('loads all.js once and resolves with the AP it defines', async () => {
    page('?xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%2Fwiki');
    const { ap } = await load();
    const first = ap();
    const second = ap();
    expect(scripts).toHaveLength(1);
    expect(scripts[0].src).toBe('https://connect-cdn.atl-paas.net/all.js');
    const host = fakeAP(() => undefined);
    (globalThis as { AP?: unknown }).AP = host;
    scripts[0].onload!();
    await expect(first).resolves.toBe(host);
    await expect(second).resolves.toBe(host);
  });

  it.each([
    ['fails to load', 'onerror'],
    ['loads but defines no AP', 'onload'],
  ] as const)('rejects when all.js %s', async (_case, event) => {
    page('?xdm_e=https%3A%2F%2Facme.atlassian.net');
    const { ap, NotInConnectHostError } = await load();
    const host = ap();
    scripts[0][event]!();
    await expect(host).rejects.toBeInstanceOf(NotInConnectHostError);
  });

  it('gives up when all.js never answers', async () => {
    vi.useFakeTimers();
    page('?xdm_e=https%3A%2F%2Facme.atlassian.net');
    const { ap, NotInConnectHostError } = await load();
    const host = ap();
    const settled = expect(host).rejects.toBeInstanceOf(NotInConnectHostError);
    await vi.advanceTimersByTimeAsync(10_000);
    await settled;
  });
});

describe('contextToken(): a context token, cached until a minute before it expires', () => {
  it('asks the host once while the token has more than a minute left, then again', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T12:00:00Z') });
    const nowSeconds = Date.now() / 1000;
    const tokens = [token(nowSeconds + 15 * 60, 'first'), token(nowSeconds + 30 * 60, 'second')];
    const host = fakeAP(() => Promise.resolve(tokens.shift()!));
    (globalThis as { AP?: unknown }).AP = host;
    const { contextToken } = await load();

    const first = await contextToken();
    expect(first).toBe(token(nowSeconds + 15 * 60, 'first'));
    vi.setSystemTime(Date.now() + 13 * 60_000 + 59_000); // 61 s left
    expect(await contextToken()).toBe(first);
    expect(host.context.getToken).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() + 1000); // 60 s left: refresh
    expect(await contextToken()).toBe(token(nowSeconds + 30 * 60, 'second'));
    expect(host.context.getToken).toHaveBeenCalledTimes(2);
  });

  it('concurrent callers share one request to the host', async () => {
    let answer!: (t: string) => void;
    const host = fakeAP(() => new Promise<string>((resolve) => (answer = resolve)));
    (globalThis as { AP?: unknown }).AP = host;
    const { contextToken } = await load();
    const calls = [contextToken(), contextToken(), contextToken()];
    await vi.waitFor(() => expect(host.context.getToken).toHaveBeenCalledTimes(1));
    const t = token(Date.now() / 1000 + 900);
    answer(t);
    expect(await Promise.all(calls)).toEqual([t, t, t]);
    expect(host.context.getToken).toHaveBeenCalledTimes(1);
  });

  it('works with the callback form of older all.js', async () => {
    const t = token(Date.now() / 1000 + 900);
    const host = { ...fakeAP(() => undefined), context: { getToken: vi.fn((cb: (v: string) => void) => void cb(t)), getContext: vi.fn() } };
    (globalThis as { AP?: unknown }).AP = host;
    const { contextToken } = await load();
    expect(await contextToken()).toBe(t);
  });

  it('a token without a readable exp is used once, never cached', async () => {
    const host = fakeAP(() => Promise.resolve('not.a-jwt.at-all'));
    (globalThis as { AP?: unknown }).AP = host;
    const { contextToken } = await load();
    await contextToken();
    await contextToken();
    expect(host.context.getToken).toHaveBeenCalledTimes(2);
  });

  it('a failure is not cached: the next call asks again', async () => {
    const t = token(Date.now() / 1000 + 900);
    const answers = [() => Promise.reject(new Error('host refused')), () => Promise.resolve(t)];
    const host = fakeAP(() => answers.shift()!());
    (globalThis as { AP?: unknown }).AP = host;
    const { contextToken } = await load();
    await expect(contextToken()).rejects.toThrow('host refused');
    expect(await contextToken()).toBe(t);
  });
});

describe('showFlag', () => {
  it('creates an auto-closing flag, info by default', async () => {
    const host = fakeAP(() => undefined);
    (globalThis as { AP?: unknown }).AP = host;
    const { showFlag } = await load();
    await showFlag('Note added', 'Your note is on NOTE-1.', 'success');
    await showFlag('Heads up', 'Something happened.');
    expect(host.flag.create.mock.calls).toEqual([
      [{ title: 'Note added', body: 'Your note is on NOTE-1.', type: 'success', close: 'auto' }],
      [{ title: 'Heads up', body: 'Something happened.', type: 'info', close: 'auto' }],
    ]);
  });
});

describe('apiFetch: the app’s own API with a context token', () => {
  function setup(response: Response) {
    const t = token(Date.now() / 1000 + 900);
    (globalThis as { AP?: unknown }).AP = fakeAP(() => Promise.resolve(t));
    const fetchMock = vi.fn(async (_path: string, _init: RequestInit) => response);
    vi.stubGlobal('fetch', fetchMock);
    return { t, fetchMock };
  }

  it('sends the token as `Authorization: JWT` and JSON bodies as JSON', async () => {
    const { t, fetchMock } = setup(Response.json({ note: { id: 'n1' } }, { status: 201 }));
    const { apiFetch } = await load();
    await expect(apiFetch('/api/notes', { method: 'POST', json: { issueKey: 'NOTE-1', text: 'hi' } })).resolves.toEqual({ note: { id: 'n1' } });
    expect(fetchMock).toHaveBeenCalledWith('/api/notes', {
      method: 'POST',
      headers: { Authorization: `JWT ${t}`, 'Content-Type': 'application/json' },
      body: '{"issueKey":"NOTE-1","text":"hi"}',
    });
  });

  it('a GET has no body and no content type', async () => {
    const { t, fetchMock } = setup(Response.json({ notes: [] }));
    const { apiFetch } = await load();
    await expect(apiFetch('/api/notes?issueKey=NOTE-1')).resolves.toEqual({ notes: [] });
    expect(fetchMock).toHaveBeenCalledWith('/api/notes?issueKey=NOTE-1', { method: 'GET', headers: { Authorization: `JWT ${t}` }, body: undefined });
  });

  it('204 resolves with undefined', async () => {
    setup(new Response(null, { status: 204 }));
    const { apiFetch } = await load();
    await expect(apiFetch('/api/notes/n1', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it('an error carries the server’s status, code and message', async () => {
    setup(Response.json({ error: 'NOT_FOUND', message: 'No such note.' }, { status: 404 }));
    const { apiFetch, ApiError } = await load();
    const err = await apiFetch('/api/notes/n1', { method: 'DELETE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'No such note.' });
  });

  it('an error without a JSON body is HTTP_ERROR with the status', async () => {
    setup(new Response('<html>bad gateway</html>', { status: 502 }));
    const { apiFetch } = await load();
    await expect(apiFetch('/api/notes')).rejects.toMatchObject({ status: 502, code: 'HTTP_ERROR', message: 'Request failed (502).' });
  });
});
