/**
 * Rate limits on both doors (lib/connect/rate-limit.ts inside lib/connect/product-client.ts): a 429, or a 503
 * with Retry-After, is sent again a bounded number of times after Retry-After plus jitter, inside the call's
 * own budget, against real HTTP servers on loopback. The clock and the sleep are fake, so the waits are exact
 * and no test sleeps; the bounds are tested on both sides with literal numbers.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostClient } from '@/lib/connect/host-client';
import { ProductApiError } from '@/lib/connect/product-error';
import { parseRetryAfter, retryDecision, type RetryPolicy } from '@/lib/connect/rate-limit';
import type { ForgeRemoteRequest } from '@/lib/forge/invocation-token';
import { forgeProductClient } from '@/lib/forge/product-client';
import { json, startFakeAtlassian, startServer, type FakeAtlassian, type TestServer } from '../helpers/fake-product-api';

const T0 = Date.parse('2026-12-06T03:00:00Z');

/** A fake clock that only moves when the client sleeps; `waits` records every wait. */
function fakeTime(random = 0) {
  const state = { clock: T0, waits: [] as number[] };
  const policy: RetryPolicy = {
    now: () => state.clock,
    sleep: async (ms) => {
      state.waits.push(ms);
      state.clock += ms;
    },
    random: () => random,
  };
  return { state, policy };
}

/** Answers the first `limited` requests with `status` and these headers, then 200. */
function limitedAnswers(limited: number, status: number, headers: (n: number) => Record<string, string>) {
  let n = 0;
  return (res: ServerResponse) => {
    n++;
    if (n <= limited) return json(res, status, { errorMessages: ['Rate limit exceeded.'] }, headers(n));
    return json(res, 200, { ok: true, attempt: n });
  };
}

const rateLimitHeaders = (seconds: string) => () => ({
  'retry-after': seconds,
  'x-ratelimit-limit': '100',
  'x-ratelimit-remaining': '0',
  'x-ratelimit-reset': '2026-12-06T03:01Z',
  'ratelimit-reason': 'jira-burst-based',
});

async function rejection(promise: Promise<unknown>): Promise<ProductApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProductApiError);
  return err as ProductApiError;
}

describe('Retry-After parsing (RFC 9110: delay-seconds or HTTP-date)', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', T0)).toBe(0);
    expect(parseRetryAfter('7', T0)).toBe(7000);
    expect(parseRetryAfter(' 30 ', T0)).toBe(30_000);
  });

  it('reads an HTTP-date as the time left until it, and a past date as 0', () => {
    expect(parseRetryAfter('Sun, 06 Dec 2026 03:00:10 GMT', T0)).toBe(10_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 03:00:01 GMT', T0)).toBe(1000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 02:59:59 GMT', T0)).toBe(0);
  });

  it('ignores anything else: fractions, negatives, ISO dates, words, nothing', () => {
    for (const v of ['1.5', '-1', '2026-12-06T03:00:10Z', 'soon', '', undefined, null, '7s']) expect(parseRetryAfter(v, T0)).toBeUndefined();
  });
});

describe('the retry decision', () => {
  const res = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });
  const at = { now: () => T0, random: () => 0 };

  it('adds at most 30% jitter on top of Retry-After, never less than it', () => {
    expect(retryDecision(res(429, { 'retry-after': '2' }), 'GET', 0, 10_000, { ...at, random: () => 0 })).toEqual({ retry: true, waitMs: 2000 });
    expect(retryDecision(res(429, { 'retry-after': '2' }), 'GET', 0, 10_000, { ...at, random: () => 0.5 })).toEqual({ retry: true, waitMs: 2300 });
    expect(retryDecision(res(429, { 'retry-after': '2' }), 'GET', 0, 10_000, { ...at, random: () => 0.9999 })).toEqual({ retry: true, waitMs: 2600 });
  });

  it('without Retry-After, backs off 1 s, 2 s, 4 s … up to 30 s', () => {
    const policy = { ...at, maxRetries: 9 };
    expect(retryDecision(res(429), 'GET', 0, 60_000, policy)).toEqual({ retry: true, waitMs: 1000 });
    expect(retryDecision(res(429), 'GET', 1, 60_000, policy)).toEqual({ retry: true, waitMs: 2000 });
    expect(retryDecision(res(429), 'GET', 2, 60_000, policy)).toEqual({ retry: true, waitMs: 4000 });
    // 16 s is under the 30 s cap; 32 s is not.
    expect(retryDecision(res(429), 'GET', 4, 60_000, policy)).toEqual({ retry: true, waitMs: 16_000 });
    expect(retryDecision(res(429), 'GET', 5, 60_000, policy)).toEqual({ retry: true, waitMs: 30_000 });
  });

  it('retries a 429 for any method (the limiter refused it unprocessed), a 503 only with Retry-After and only when idempotent', () => {
    expect(retryDecision(res(429, { 'retry-after': '1' }), 'POST', 0, 10_000, at).retry).toBe(true);
    expect(retryDecision(res(503, { 'retry-after': '1' }), 'GET', 0, 10_000, at).retry).toBe(true);
    expect(retryDecision(res(503, { 'retry-after': '1' }), 'PUT', 0, 10_000, at).retry).toBe(true);
    expect(retryDecision(res(503, { 'retry-after': '1' }), 'POST', 0, 10_000, at).retry).toBe(false);
    expect(retryDecision(res(503), 'GET', 0, 10_000, at).retry).toBe(false);
    for (const status of [500, 502, 504, 401, 403, 404]) expect(retryDecision(res(status, { 'retry-after': '1' }), 'GET', 0, 10_000, at).retry).toBe(false);
  });
});

describe('Connect door (hostClient asApp): 429 and 503 over real HTTP', () => {
  let jira: FakeAtlassian;
  beforeAll(async () => {
    jira = await startFakeAtlassian();
  });
  afterAll(() => jira.close());
  beforeEach(() => {
    jira.product.calls.length = 0;
  });

  it('retries 2 times by default: 2 answers of 429 then 200 succeed after waiting Retry-After each time, each attempt freshly signed', async () => {
    const answer = limitedAnswers(2, 429, rateLimitHeaders('1'));
    jira.product.route((_call, res) => answer(res));
    const { state, policy } = fakeTime();
    const body = await hostClient(jira.tenant, { retry: policy }).asApp().getJson<{ attempt: number }>('/rest/api/3/myself');
    expect(body.attempt).toBe(3);
    expect(state.waits).toEqual([1000, 1000]);
    // Every attempt passed the reference check (atlassian-jwt, qsh of the request): none was refused.
    expect(jira.product.calls).toHaveLength(3);
    expect(jira.product.refusals).toHaveLength(0);
  });

  it('gives up after 2 retries: 3 answers of 429 report the 429 as today (PRODUCT_ERROR, status 429), with its Retry-After', async () => {
    const answer = limitedAnswers(3, 429, rateLimitHeaders('1'));
    jira.product.route((_call, res) => answer(res));
    const { state, policy } = fakeTime();
    const err = await rejection(hostClient(jira.tenant, { retry: policy }).asApp().getJson('/rest/api/3/myself'));
    expect(err.code).toBe('PRODUCT_ERROR');
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(1000);
    expect(err.errorMessages).toEqual(['Rate limit exceeded.']);
    expect(state.waits).toEqual([1000, 1000]);
    expect(jira.product.calls).toHaveLength(3);
  });

  it('maxRetries 0 turns retrying off: 1 attempt', async () => {
    const answer = limitedAnswers(1, 429, rateLimitHeaders('1'));
    jira.product.route((_call, res) => answer(res));
    const { state, policy } = fakeTime();
    const res = await hostClient(jira.tenant, { retry: { ...policy, maxRetries: 0 } }).asApp().fetch('/rest/api/3/myself');
    expect(res.status).toBe(429);
    expect(state.waits).toEqual([]);
    expect(jira.product.calls).toHaveLength(1);
  });

  it('waits inside the budget: Retry-After 9 s fits a 10 s budget, 10 s does not and gives up at once', async () => {
    let answer = limitedAnswers(1, 429, rateLimitHeaders('9'));
    jira.product.route((_call, res) => answer(res));
    let t = fakeTime();
    const ok = await hostClient(jira.tenant, { timeoutMs: 10_000, retry: t.policy }).asApp().fetch('/rest/api/3/myself');
    expect(ok.status).toBe(200);
    expect(t.state.waits).toEqual([9000]);

    jira.product.calls.length = 0;
    answer = limitedAnswers(1, 429, rateLimitHeaders('10'));
    t = fakeTime();
    const err = await rejection(hostClient(jira.tenant, { timeoutMs: 10_000, retry: t.policy }).asApp().getJson('/rest/api/3/myself'));
    expect(err.status).toBe(429);
    expect(t.state.waits).toEqual([]);
    expect(jira.product.calls).toHaveLength(1);
  });

  it('counts earlier waits against the budget: after 4 s waited of 10 s, Retry-After 5 s fits and 6 s does not', async () => {
    let n = 0;
    let second = '5';
    jira.product.route((_call, res) => {
      n++;
      if (n === 1) return json(res, 429, {}, { 'retry-after': '4' });
      if (n === 2) return json(res, 429, {}, { 'retry-after': second });
      return json(res, 200, { attempt: n });
    });
    let t = fakeTime();
    expect((await hostClient(jira.tenant, { timeoutMs: 10_000, retry: t.policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(200);
    expect(t.state.waits).toEqual([4000, 5000]);

    n = 0;
    second = '6';
    t = fakeTime();
    expect((await hostClient(jira.tenant, { timeoutMs: 10_000, retry: t.policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(429);
    expect(t.state.waits).toEqual([4000]);
  });

  it('counts the jitter against the budget too: 7 s + 30% = 9.1 s fits 10 s, 8 s + 30% = 10.4 s does not', async () => {
    let answer = limitedAnswers(1, 429, rateLimitHeaders('7'));
    jira.product.route((_call, res) => answer(res));
    let t = fakeTime(0.9999);
    expect((await hostClient(jira.tenant, { timeoutMs: 10_000, retry: t.policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(200);
    expect(t.state.waits).toEqual([9100]);

    answer = limitedAnswers(1, 429, rateLimitHeaders('8'));
    t = fakeTime(0.9999);
    expect((await hostClient(jira.tenant, { timeoutMs: 10_000, retry: t.policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(429);
    expect(t.state.waits).toEqual([]);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    const answer = limitedAnswers(1, 429, () => ({ 'retry-after': new Date(T0 + 3000).toUTCString() }));
    jira.product.route((_call, res) => answer(res));
    const { state, policy } = fakeTime();
    expect((await hostClient(jira.tenant, { retry: policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(200);
    expect(state.waits).toEqual([3000]);
  });

  it('retries a 503 with Retry-After on GET, but not on POST, and not a 503 without it', async () => {
    let answer = limitedAnswers(1, 503, () => ({ 'retry-after': '2' }));
    jira.product.route((_call, res) => answer(res));
    let t = fakeTime();
    expect((await hostClient(jira.tenant, { retry: t.policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(200);
    expect(t.state.waits).toEqual([2000]);

    answer = limitedAnswers(1, 503, () => ({ 'retry-after': '2' }));
    t = fakeTime();
    expect((await rejection(hostClient(jira.tenant, { retry: t.policy }).asApp().postJson('/rest/api/3/issue', { a: 1 }))).status).toBe(503);
    expect(t.state.waits).toEqual([]);

    answer = limitedAnswers(1, 503, () => ({}));
    t = fakeTime();
    expect((await hostClient(jira.tenant, { retry: t.policy }).asApp().fetch('/rest/api/3/myself')).status).toBe(503);
    expect(t.state.waits).toEqual([]);
  });

  it('sends a POST body again on a 429: the product receives it whole on the retry', async () => {
    const answer = limitedAnswers(1, 429, rateLimitHeaders('1'));
    jira.product.route((_call, res) => answer(res));
    const { policy } = fakeTime();
    await hostClient(jira.tenant, { retry: policy }).asApp().postJson('/rest/api/3/issue/NOTE-1/comment', { body: 'hello' });
    expect(jira.product.calls.map((c) => c.hit.body)).toEqual(['{"body":"hello"}', '{"body":"hello"}']);
  });

  it("stops waiting when the caller aborts, with the caller's reason", async () => {
    jira.product.route((_call, res) => json(res, 429, {}, { 'retry-after': '5' }));
    const caller = new AbortController();
    const reason = new Error('navigated away');
    const pending = hostClient(jira.tenant).asApp().fetch('/rest/api/3/myself', { signal: caller.signal });
    setTimeout(() => caller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
    expect(jira.product.calls).toHaveLength(1);
  });
});

describe('Forge door (forgeProductClient): the same retries', () => {
  let api: TestServer;
  let answer: (res: ServerResponse) => void;
  beforeAll(async () => {
    api = await startServer((hit, res) => {
      if (hit.headers.authorization !== 'Bearer system-token') return json(res, 401, {});
      answer(res);
    });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.hits.length = 0;
  });

  function forgeRequest(): ForgeRemoteRequest {
    return {
      invocation: {
        appId: 'ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107',
        installationId: 'ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5',
        apiBaseUrl: `${api.origin}/ex/jira/d0d52620-3203-4cfa-8db5-f2587155f0dd`,
        appVersion: '1.0.0', environment: undefined, module: undefined, license: undefined,
        cloudId: 'd0d52620-3203-4cfa-8db5-f2587155f0dd', siteUrl: 'https://example.atlassian.net',
        accountId: undefined, context: undefined, claims: {},
      },
      appSystemToken: 'system-token',
      appUserToken: undefined,
    };
  }

  it('2 answers of 429 then 200 succeed; 3 give up with the 429', async () => {
    answer = limitedAnswers(2, 429, rateLimitHeaders('2'));
    let t = fakeTime();
    const ok = await forgeProductClient(forgeRequest(), { allowLocalApi: true, retry: t.policy }).asApp().getJson<{ attempt: number }>('/rest/api/3/myself');
    expect(ok.attempt).toBe(3);
    expect(t.state.waits).toEqual([2000, 2000]);

    api.hits.length = 0;
    answer = limitedAnswers(3, 429, rateLimitHeaders('2'));
    t = fakeTime();
    const err = await rejection(forgeProductClient(forgeRequest(), { allowLocalApi: true, retry: t.policy }).asApp().getJson('/rest/api/3/myself'));
    expect([err.code, err.status]).toEqual(['PRODUCT_ERROR', 429]);
    expect(api.hits).toHaveLength(3);
  });

  it('gives up at once when Retry-After is longer than the budget: 10 s against 10 s', async () => {
    answer = limitedAnswers(1, 429, rateLimitHeaders('10'));
    const t = fakeTime();
    const err = await rejection(forgeProductClient(forgeRequest(), { allowLocalApi: true, timeoutMs: 10_000, retry: t.policy }).asApp().getJson('/rest/api/3/myself'));
    expect(err.status).toBe(429);
    expect(t.state.waits).toEqual([]);
    expect(api.hits).toHaveLength(1);
  });
});
