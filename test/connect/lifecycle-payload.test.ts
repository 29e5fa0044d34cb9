import { describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { hostMatches, isAllowedProductUrl } from '@/lib/connect/hosts';
import { parseLifecyclePayload, type LifecycleEvent } from '@/lib/connect/lifecycle-payload';
import { APP_KEY, installPayload } from '../helpers/product';

const rules: { event: LifecycleEvent; appKey: string; allowedHosts: string[] } = { event: 'installed', appKey: APP_KEY, allowedHosts: ['*.atlassian.net', 'localhost'] };

function codeOf(body: unknown, r = rules): string {
  try {
    parseLifecyclePayload(body, r);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return (err as ConnectError).code;
  }
  return 'ACCEPTED';
}

describe('product host allow-list', () => {
  it.each([
    ['acme.atlassian.net', '*.atlassian.net', true],
    ['ACME.Atlassian.NET', '*.atlassian.net', true],
    ['atlassian.net', '*.atlassian.net', false],
    ['evilatlassian.net', '*.atlassian.net', false],
    ['acme.atlassian.net.evil.com', '*.atlassian.net', false],
    ['localhost', 'localhost', true],
  ])('%s against %s → %s', (host, pattern, expected) => {
    expect(hostMatches(host, pattern)).toBe(expected);
  });

  it('accepts https on an allowed host, with a context path', () => {
    expect(isAllowedProductUrl('https://acme.atlassian.net/wiki', rules.allowedHosts)).toBe(true);
  });

  it('refuses plain http on a public host even when the host is allowed', () => {
    expect(isAllowedProductUrl('http://acme.atlassian.net', rules.allowedHosts)).toBe(false);
  });

  it('accepts plain http only on a loopback host the list names', () => {
    expect(isAllowedProductUrl('http://localhost:4000', rules.allowedHosts)).toBe(true);
    expect(isAllowedProductUrl('http://127.0.0.1:4000', rules.allowedHosts)).toBe(false);
  });

  it('refuses credentials, queries and other schemes', () => {
    expect(isAllowedProductUrl('https://u:p@acme.atlassian.net', rules.allowedHosts)).toBe(false);
    expect(isAllowedProductUrl('https://acme.atlassian.net?x=1', rules.allowedHosts)).toBe(false);
    expect(isAllowedProductUrl('javascript:alert(1)', rules.allowedHosts)).toBe(false);
  });
});

describe('lifecycle payload', () => {
  it('accepts Atlassian’s installed payload and normalises the base URL', () => {
    const p = parseLifecyclePayload(installPayload({ baseUrl: 'https://Acme.atlassian.net/' }), rules);
    expect(p.baseUrl).toBe('https://acme.atlassian.net');
  });

  it.each(['clientKey', 'key', 'baseUrl', 'productType', 'sharedSecret', 'eventType'])('requires %s on installed', (field) => {
    expect(codeOf(installPayload({ [field]: undefined }))).toBe('BAD_REQUEST');
  });

  it('does not require a shared secret on uninstalled', () => {
    expect(codeOf(installPayload({ sharedSecret: undefined, eventType: 'uninstalled' }), { ...rules, event: 'uninstalled' })).toBe('ACCEPTED');
  });

  it.each([
    ['a non-object body', 'text'],
    ['an array', [1]],
    ['null', null],
  ])('refuses %s', (_, body) => {
    expect(codeOf(body)).toBe('BAD_REQUEST');
  });

  it.each([
    ['a number clientKey', { clientKey: 42 }],
    ['a clientKey with a slash', { clientKey: 'a/b' }],
    ['an oversized description', { description: 'x'.repeat(1001) }],
    ['another app’s key', { key: 'com.other.app' }],
    ['an eventType for another callback', { eventType: 'enabled' }],
    ['a short shared secret', { sharedSecret: 'short' }],
  ])('refuses %s', (_, overrides) => {
    expect(codeOf(installPayload(overrides))).toBe('BAD_REQUEST');
  });

  it('refuses a baseUrl outside the allowed hosts with 403', () => {
    expect(codeOf(installPayload({ baseUrl: 'https://evil.example.com' }))).toBe('HOST_NOT_ALLOWED');
  });

  it('refuses a displayUrl outside the allowed hosts', () => {
    expect(codeOf(installPayload({ displayUrl: 'https://evil.example.com' }))).toBe('HOST_NOT_ALLOWED');
  });
});
