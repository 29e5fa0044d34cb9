import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_ALLOWED_HOSTS, parseConfig } from '@/lib/config';

const KEY = Buffer.alloc(32, 7).toString('base64');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'cn-config-'));
const production = { NODE_ENV: 'production', APP_URL: 'https://notes.example.com', DATABASE_URL: 'postgresql://u@db/x', ENCRYPTION_KEY: KEY };

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env, tmp());
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs in development with no variables at all: local URL, SQLite file, generated key', () => {
    const dir = tmp();
    const config = parseConfig({}, dir);
    expect(config.appUrl).toBe('http://localhost:3000');
    expect(config.databaseUrl).toBe('file:./.data/dev.db');
    expect(config.allowedHosts).toEqual(DEFAULT_ALLOWED_HOSTS);
    // atlassian-connect-express 11.5.0's order: the ASAP key distribution, then the older CDN.
    expect(config.installKeysUrls).toEqual(['https://asap-distribution.us-west-2.prod.atl-asap.net', 'https://connect-install-keys.atlassian.com']);
    expect(config.oauthUrl).toBe('https://oauth-2-authorization-server.services.atlassian.com');
    expect(readFileSync(path.join(dir, '.data/dev-encryption.key'), 'utf8').trim()).toBe(config.encryptionKey.key.toString('base64'));
  });

  it('keeps the generated development key across restarts', () => {
    const dir = tmp();
    expect(parseConfig({}, dir).encryptionKey.id).toBe(parseConfig({}, dir).encryptionKey.id);
  });

  it('uses PORT for the default local URL', () => {
    expect(parseConfig({ PORT: '4000' }, tmp()).appUrl).toBe('http://localhost:4000');
  });

  it('accepts a complete production configuration and strips a trailing slash from APP_URL', () => {
    const config = parseConfig({ ...production, APP_URL: 'https://notes.example.com/' }, tmp());
    expect(config.appUrl).toBe('https://notes.example.com');
  });

  it('falls back to Vercel’s stable production URL, never the per-deployment one', () => {
    const { APP_URL: _, ...rest } = production;
    const config = parseConfig({ ...rest, VERCEL_URL: 'notes-abc123.vercel.app', VERCEL_PROJECT_PRODUCTION_URL: 'notes.vercel.app' }, tmp());
    expect(config.appUrl).toBe('https://notes.vercel.app');
  });

  it.each(['APP_URL', 'DATABASE_URL', 'ENCRYPTION_KEY'])('names %s when it is missing in production', (name) => {
    const env: Record<string, string> = { ...production };
    delete env[name];
    const err = configError(env);
    expect(err.variable).toBe(name);
    expect(err.message).toMatch(new RegExp(`^${name} is required in production`));
  });

  it('refuses a plain http APP_URL in production', () => {
    expect(configError({ ...production, APP_URL: 'http://notes.example.com' }).variable).toBe('APP_URL');
  });

  it.each([['too short', Buffer.alloc(16).toString('base64')], ['not base64', 'not-a-key'], ['base64url', Buffer.alloc(32, 255).toString('base64url')]])(
    'refuses an ENCRYPTION_KEY that is %s, without echoing it',
    (_, key) => {
      const err = configError({ ...production, ENCRYPTION_KEY: key });
      expect(err.variable).toBe('ENCRYPTION_KEY');
      expect(err.message).not.toContain(key);
    },
  );

  it('refuses a DATABASE_URL of an unsupported kind', () => {
    expect(configError({ ...production, DATABASE_URL: 'mysql://db/x' }).variable).toBe('DATABASE_URL');
  });

  it('parses previous encryption keys for rotation, each with its own id', () => {
    const old = Buffer.alloc(32, 1).toString('base64');
    const config = parseConfig({ ...production, ENCRYPTION_KEYS_PREVIOUS: ` ${old} ` }, tmp());
    expect(config.previousEncryptionKeys).toHaveLength(1);
    expect(config.previousEncryptionKeys[0].id).not.toBe(config.encryptionKey.id);
  });

  it('parses CONNECT_ALLOWED_HOSTS and refuses invalid patterns', () => {
    expect(parseConfig({ ...production, CONNECT_ALLOWED_HOSTS: '*.Atlassian.net, localhost' }, tmp()).allowedHosts).toEqual(['*.atlassian.net', 'localhost']);
    expect(configError({ ...production, CONNECT_ALLOWED_HOSTS: 'https://x.com' }).variable).toBe('CONNECT_ALLOWED_HOSTS');
    expect(configError({ ...production, CONNECT_ALLOWED_HOSTS: '*' }).variable).toBe('CONNECT_ALLOWED_HOSTS');
  });

  it('takes CONNECT_INSTALL_KEYS_URL as key servers tried in order', () => {
    expect(parseConfig({ ...production, CONNECT_INSTALL_KEYS_URL: 'https://keys.example.com, https://keys2.example.com/' }, tmp()).installKeysUrls).toEqual(['https://keys.example.com', 'https://keys2.example.com']);
  });

  it('refuses a CONNECT_INSTALL_KEYS_URL list with one plain-http server off this machine', () => {
    expect(configError({ ...production, CONNECT_INSTALL_KEYS_URL: 'https://keys.example.com,http://keys.example.com' }).variable).toBe('CONNECT_INSTALL_KEYS_URL');
  });

  it('takes CONNECT_KEY as the Connect key of this deployment (a Forge environment with its own key)', () => {
    expect(parseConfig({ ...production, CONNECT_KEY: 'com.example.notes.dev' }, tmp()).connectKey).toBe('com.example.notes.dev');
    expect(parseConfig(production, tmp()).connectKey).toBeUndefined();
  });

  it('refuses a CONNECT_KEY that is not a Connect app key', () => {
    expect(configError({ ...production, CONNECT_KEY: 'has spaces' }).variable).toBe('CONNECT_KEY');
  });

  it('refuses a malformed CONNECT_INSTALL_KEYS_URL', () => {
    expect(configError({ ...production, CONNECT_INSTALL_KEYS_URL: 'ftp://keys' }).variable).toBe('CONNECT_INSTALL_KEYS_URL');
  });

  it.each([
    ['CONNECT_INSTALL_KEYS_URL', (c: ReturnType<typeof parseConfig>) => c.installKeysUrls, (u: string) => [u]],
    ['CONNECT_OAUTH_URL', (c: ReturnType<typeof parseConfig>) => c.oauthUrl, (u: string) => u],
  ] as const)('refuses plain http for %s except on this machine', (name, field, expected) => {
    expect(configError({ ...production, [name]: 'http://keys.example.com' }).variable).toBe(name);
    expect(field(parseConfig({ ...production, [name]: 'http://127.0.0.1:4000/install-keys/' }, tmp()))).toEqual(expected('http://127.0.0.1:4000/install-keys'));
    expect(field(parseConfig({ ...production, [name]: 'http://[::1]:4000' }, tmp()))).toEqual(expected('http://[::1]:4000'));
  });
});
