/**
 * The pairing read (lib/forge/pairing.ts): where it goes, and that it is bounded in time and size, so that an
 * Atlassian API that is slow, huge, redirecting or not JSON never joins anything and never holds a Forge
 * invocation (on the event route: never uses up Forge's deadline). Real HTTP against local servers standing in
 * for api.atlassian.com (allowLocalApi); the time edges are moved with fake timers, no timing assertions.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { withDeadline } from '@/lib/deadline';
import type { ForgeInvocation, ForgeRemoteRequest } from '@/lib/forge/invocation-token';
import { CONNECT_CLIENT_KEY_PROPERTY, connectPairing } from '@/lib/forge/pairing';

const CLOUD_ID = '5c1b0a3e-1111-4a2b-9c3d-0123456789ab';
const PROPERTY_PATH = `/ex/jira/${CLOUD_ID}/rest/atlassian-connect/1/addons/connect-next/properties/${CONNECT_CLIENT_KEY_PROPERTY}`;

/** What the stand-in API answers, per test; `null` holds the request open and never answers. */
let answer: ((req: IncomingMessage, res: ServerResponse) => void) | null;
const seen: { url: string; authorization?: string }[] = [];
/** Resolved when the stand-in API receives the next request (vi.waitFor would move fake time itself). */
let received: () => void = () => undefined;
const nextRequest = () => new Promise<void>((resolve) => (received = resolve));
let api: { url: string; close(): Promise<void> };

beforeAll(async () => {
  vi.stubEnv('CONNECT_LOG', 'silent');
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    answer?.(req, res);
    received();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});
afterEach(() => {
  vi.useRealTimers();
  seen.length = 0;
});

/** A backend invocation (an event: Forge sends the tokens) unless `module` says otherwise. */
function forgeRequest(apiBaseUrl = `${api.url}/ex/jira/${CLOUD_ID}`, module = { type: 'core:endpoint', key: 'forge-events' }): ForgeRemoteRequest {
  const invocation = { installationId: 'ari:cloud:ecosystem::installation/x', apiBaseUrl, module } as ForgeInvocation;
  return { invocation, appSystemToken: 'system-token', appUserToken: undefined };
}

const ask = (forge = forgeRequest(), options: Parameters<typeof connectPairing>[1] = {}) => connectPairing(forge, { connectKey: 'connect-next', allowLocalApi: true, ...options })!();

function json(status: number, body: unknown) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

it('reads the reserved property under the FIT’s apiBaseUrl, as the app, and names the clientKey it holds', async () => {
  answer = json(200, { key: CONNECT_CLIENT_KEY_PROPERTY, value: 'client-key-1' });
  expect(await ask()).toBe('client-key-1');
  expect(seen).toEqual([{ url: PROPERTY_PATH, authorization: 'Bearer system-token' }]);
});

it('sends nothing (and confirms nothing) when the FIT’s apiBaseUrl is not Atlassian’s API', async () => {
  answer = json(200, { value: 'client-key-1' });
  expect(await ask(forgeRequest(`https://api.attacker.example/ex/jira/${CLOUD_ID}`), { allowLocalApi: false })).toBeUndefined();
  expect(await ask(forgeRequest(`${api.url}/ex/jira/${CLOUD_ID}`), { allowLocalApi: false })).toBeUndefined();
  expect(seen).toEqual([]);
});

it('404 names no tenant (null); an error status, a redirect off the base, a body that is not JSON or too large confirm nothing (undefined)', async () => {
  answer = json(404, { errorMessages: ['no such property'] });
  expect(await ask()).toBeNull();
  answer = json(500, {});
  expect(await ask()).toBeUndefined();
  answer = (_req, res) => {
    res.writeHead(302, { location: 'https://elsewhere.example/property' });
    res.end();
  };
  expect(await ask()).toBeUndefined();
  answer = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('<html>not json</html>');
  };
  expect(await ask()).toBeUndefined();
  answer = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('"client-key-1"');
  };
  expect(await ask()).toBeUndefined();
  // 16 KiB is the bound: an answer of 16 384 bytes is read, one of 16 385 is not.
  const padded = (bytes: number) => {
    const body = { value: 'client-key-1', pad: '' };
    body.pad = 'x'.repeat(bytes - JSON.stringify(body).length);
    return JSON.stringify(body);
  };
  for (const [bytes, expected] of [[16_384, 'client-key-1'], [16_385, undefined]] as const) {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: counted as it arrives
      res.write(padded(bytes));
      res.end();
    };
    expect(await ask()).toBe(expected);
  }
});

it('a 404 on a UI module’s request confirms nothing (undefined), never "no tenant": its token may be the browser’s (requestRemote)', async () => {
  answer = json(404, { errorMessages: ['no such property'] });
  expect(await ask(forgeRequest(undefined, { type: 'jira:issuePanel', key: 'issue-notes-forge' }))).toBeUndefined();
  // Positive answers stand whoever sent the token: the property under the signed cloudId is the real clientKey.
  answer = json(200, { value: 'client-key-1' });
  expect(await ask(forgeRequest(undefined, { type: 'jira:issuePanel', key: 'issue-notes-forge' }))).toBe('client-key-1');
});

/** The read is still pending 1 499 ms after the request reached the API, and gives up (undefined) at 1 500 ms. */
async function expectStillAskingAt1499ThenUndefinedAt1500() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  let settled: { value: string | null | undefined } | undefined;
  const requested = nextRequest();
  void ask().then((value) => (settled = { value }));
  await requested;
  await vi.advanceTimersByTimeAsync(1_499);
  expect(settled).toBeUndefined();
  await vi.advanceTimersByTimeAsync(1);
  vi.useRealTimers();
  await vi.waitFor(() => expect(settled).toEqual({ value: undefined }));
}

it('an API that never answers: still asking at 1499 ms, not confirmable (undefined) at 1500 ms', async () => {
  answer = null;
  await expectStillAskingAt1499ThenUndefinedAt1500();
});

it('an API that sends headers and then stalls the body is bounded too (1500 ms for the whole read)', async () => {
  answer = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"value":');
  };
  await expectStillAskingAt1499ThenUndefinedAt1500();
});

it('under a deadline it takes at most half of the time left, so the invocation keeps the rest (a 2000 ms deadline: gives up at 1000 ms)', async () => {
  answer = null;
  // The clock too: the deadline's remaining time is read from it.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  let settled: { value: string | null | undefined } | undefined;
  const requested = nextRequest();
  const run = withDeadline(2_000, async (deadline) => {
    settled = { value: await ask(forgeRequest(), { deadline }) };
    return settled.value;
  });
  await requested;
  await vi.advanceTimersByTimeAsync(999);
  expect(settled).toBeUndefined();
  await vi.advanceTimersByTimeAsync(1);
  vi.useRealTimers();
  await vi.waitFor(() => expect(settled).toEqual({ value: undefined }));
  await expect(run).resolves.toBeUndefined();
});
