import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_HOSTS } from '@/lib/connect/allowed-hosts.mjs';
import { databaseDialect, dialectOf } from '@/lib/db/database-url.mjs';
import { envValue } from '@/lib/env.mjs';
import { ConfigError, parseConfig } from '@/lib/config';
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

describe('databaseDialect: the one place a DATABASE_URL names its database', () => {
  it.each([
    ['file:./.data/dev.db', 'sqlite'],
    ['postgres://h/db', 'postgresql'],
    ['postgresql://u:p@h:5432/db?schema=x', 'postgresql'],
    ['mysql://h/db', undefined],
    ['postgresql:h/db', undefined],
    ['FILE:x.db', undefined],
  ])('%s → %s', (url, expected) => {
    expect(databaseDialect(url)).toBe(expected);
  });

  it('the app and the scripts refuse an unknown database with the same words', () => {
    const message = 'DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL).';
    expect(() => dialectOf('mysql://h/db')).toThrow(message);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://h/db', ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') })).toThrow(new ConfigError('DATABASE_URL', 'must start with file: (SQLite) or postgresql:// (PostgreSQL).'));
    expect(new ConfigError('DATABASE_URL', 'must start with file: (SQLite) or postgresql:// (PostgreSQL).').message).toBe(message);
  });
});

describe('DEFAULT_ALLOWED_HOSTS', () => {
  it('is Atlassian’s Cloud product hosts, and what parseConfig allows without CONNECT_ALLOWED_HOSTS', () => {
    expect(DEFAULT_ALLOWED_HOSTS).toEqual(['*.atlassian.net', '*.atlassian-dev.net', '*.jira.com', '*.jira-dev.com']);
    expect(parseConfig({ ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }).allowedHosts).toEqual(DEFAULT_ALLOWED_HOSTS);
  });
});
