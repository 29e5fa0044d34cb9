/**
 * The exchange log and the pages show tokens' claims, never anything that could be replayed or that
 * is secret; and nothing an app or a user typed becomes markup.
 */
import { describe, expect, it } from 'vitest';
import { encodeSymmetric } from 'atlassian-jwt';
import { ExchangeLog, redactPayload, redactUrl } from '../../host/lib/exchange-log.mjs';
import { html } from '../../host/pages/html.mjs';

describe('the exchange log', () => {
  const token = encodeSymmetric({ iss: 'client', qsh: 'abc', iat: 1, exp: 2 }, 'the-shared-secret-0123456789');

  it('records a token as its header and claims, without the signature', () => {
    const log = new ExchangeLog();
    const entry = log.add({ direction: 'product→app', kind: 'webhook', note: 'sent', token });
    expect(entry.token).toEqual({ alg: 'HS256', claims: { iss: 'client', qsh: 'abc', iat: 1, exp: 2 } });
    expect(JSON.stringify(log.list())).not.toContain(token.split('.')[2]);
  });

  it('removes the jwt parameter from URLs', () => {
    expect(redactUrl(`https://app/panel?a=1&jwt=${token}&b=2`)).toBe('https://app/panel?a=1&jwt=…&b=2');
    expect(redactUrl(`https://app/panel?jwt=${token}`)).toBe('https://app/panel?jwt=…');
  });

  it('replaces a shared secret in a payload by its length', () => {
    expect(redactPayload({ clientKey: 'c', sharedSecret: 'x'.repeat(44) })).toEqual({ clientKey: 'c', sharedSecret: '(44 characters, not shown)' });
  });

  it('keeps the newest entries, lists them newest first, filters by site, and tells subscribers', () => {
    const log = new ExchangeLog({ limit: 3 });
    const seen: number[] = [];
    log.subscribe((e: { id: number }) => seen.push(e.id));
    for (const site of ['a', 'b', 'a', 'b']) log.add({ site, direction: 'product', kind: 'site', note: site });
    expect(log.list().map((e: { id: number }) => e.id)).toEqual([4, 3, 2]);
    expect(log.list({ site: 'a' }).map((e: { id: number }) => e.id)).toEqual([3]);
    expect(log.list({ after: 3 }).map((e: { id: number }) => e.id)).toEqual([4]);
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});

describe('html templates', () => {
  it('escape interpolated values', () => {
    expect(html`<p title="${'"x"'}">${'<script>alert(1)</script>'}</p>`.toString()).toBe('<p title="&quot;x&quot;">&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('nest without escaping twice', () => {
    expect(html`<ul>${['a&b', 'c'].map((x) => html`<li>${x}</li>`)}</ul>`.toString()).toBe('<ul><li>a&amp;b</li><li>c</li></ul>');
  });
});
