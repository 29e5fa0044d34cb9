import { describe, expect, it } from 'vitest';
import { envValue } from '@/lib/env.mjs';
import { isHttpsOrLoopbackHttp, isLoopbackHost, stripTrailingSlashes } from '@/lib/url.mjs';

describe('isLoopbackHost: only names that never leave this machine', () => {
  it.each([
    ['localhost', true],
    ['[::1]', true],
    ['127.0.0.1', true],
    ['127.10.20.30', true],
    ['localhost.example.com', false],
    ['example.localhost', false],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['::1', false], // URL.hostname keeps the brackets: a bare ::1 is not what URL parsing gives
    ['127.0.0.1.nip.io', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('isHttpsOrLoopbackHttp: the one transport rule for trusted servers', () => {
  it.each([
    ['https://connect-install-keys.atlassian.com', true],
    ['https://localhost:4000', true],
    ['http://localhost:4000/install-keys', true],
    ['http://127.0.0.1:4000', true],
    ['http://[::1]:4000', true],
    ['http://example.com', false],
    ['http://192.168.1.10:4000', false],
    ['ftp://localhost/keys', false],
  ])('%s → %s', (url, expected) => {
    expect(isHttpsOrLoopbackHttp(new URL(url))).toBe(expected);
  });

  it('without loopbackHttp (the Forge JWKS in production) only https passes', () => {
    expect(isHttpsOrLoopbackHttp(new URL('http://localhost:4000/forge/jwks.json'), { loopbackHttp: false })).toBe(false);
    expect(isHttpsOrLoopbackHttp(new URL('https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json'), { loopbackHttp: false })).toBe(true);
  });
});

describe('stripTrailingSlashes', () => {
  it.each([
    ['https://example.com/wiki//', 'https://example.com/wiki'],
    ['https://example.com/', 'https://example.com'],
    ['/myapp', '/myapp'],
    ['/', ''],
    ['', ''],
  ])('%j → %j', (text, expected) => {
    expect(stripTrailingSlashes(text)).toBe(expected);
  });
});

describe('envValue: a blank variable is an unset one', () => {
  it.each([
    [{ X: ' https://notes.example.com\n' }, 'https://notes.example.com'],
    [{ X: '' }, undefined],
    [{ X: '  \t' }, undefined],
    [{}, undefined],
  ])('%j → %j', (env, expected) => {
    expect(envValue(env, 'X')).toBe(expected);
  });
});
