import { describe, expect, it } from 'vitest';
import { ConfigError } from '@/lib/config';
import { DEFAULT_FORGE_JWKS_URL, parseForgeAppId, parseForgeConfig } from '@/lib/forge/config';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';

describe('Forge configuration', () => {
  it('leaves Forge Remote off without FORGE_APP_ID, and uses Atlassian’s JWKS by default', () => {
    expect(parseForgeConfig({})).toEqual({ appId: undefined, jwksUrl: DEFAULT_FORGE_JWKS_URL });
    expect(DEFAULT_FORGE_JWKS_URL).toBe('https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json');
  });

  it('reads FORGE_APP_ID and FORGE_JWKS_URL', () => {
    expect(parseForgeConfig({ FORGE_APP_ID: ` ${APP_ID} `, FORGE_JWKS_URL: 'https://keys.example.com/jwks.json' }))
      .toEqual({ appId: APP_ID, jwksUrl: 'https://keys.example.com/jwks.json' });
  });

  it.each([
    ['an installation ARI', 'ari:cloud:ecosystem::installation/406d303d-0393-4ec4-ad7c-1435be94583a'],
    ['a bare UUID', '406d303d-0393-4ec4-ad7c-1435be94583a'],
    ['the converter’s placeholder', 'ari:cloud:ecosystem::app/invalid-run-forge-register'],
  ])('rejects %s as FORGE_APP_ID, naming the variable and the fix', (_, id) => {
    expect(() => parseForgeConfig({ FORGE_APP_ID: id })).toThrow(ConfigError);
    expect(() => parseForgeConfig({ FORGE_APP_ID: id })).toThrow(/^FORGE_APP_ID must be a Forge app id.*forge register/);
  });

  it('names the flag when the app id came from one', () => {
    expect(() => parseForgeAppId('nope', '--app-id')).toThrow(/^--app-id /);
  });

  it('requires https for the JWKS: whoever serves it decides which tokens are genuine', () => {
    expect(() => parseForgeConfig({ FORGE_JWKS_URL: 'http://keys.example.com/jwks.json' })).toThrow(/^FORGE_JWKS_URL must be an https URL/);
    expect(() => parseForgeConfig({ FORGE_JWKS_URL: 'not a url' })).toThrow(/^FORGE_JWKS_URL is not a valid URL/);
  });

  it('allows a local http key server (the simulator), in production too, as CONNECT_INSTALL_KEYS_URL does', () => {
    expect(parseForgeConfig({ FORGE_JWKS_URL: 'http://127.0.0.1:4010/jwks.json' }).jwksUrl).toBe('http://127.0.0.1:4010/jwks.json');
    expect(parseForgeConfig({ NODE_ENV: 'production', FORGE_JWKS_URL: 'http://localhost:4010/jwks.json' }).jwksUrl).toBe('http://localhost:4010/jwks.json');
    expect(() => parseForgeConfig({ NODE_ENV: 'production', FORGE_JWKS_URL: 'http://10.0.0.5:4010/jwks.json' })).toThrow(/^FORGE_JWKS_URL must be an https URL/);
  });
});
