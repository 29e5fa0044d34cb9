/**
 * Vercel Cron's authentication of /api/cron/privacy-report: `Authorization: Bearer <CRON_SECRET>`, compared
 * in constant time; refused without a secret configured, without the header, or with any other value.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

// Observe the comparison the module makes (the real function runs), to prove it is constant-time.
vi.mock('node:crypto', async (original) => {
  const actual = await original<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
import { timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@/lib/config';
import { ConnectError } from '@/lib/connect/errors';
import { assertCronRequest, parseCronSecret } from '@/lib/privacy/cron';
import { SignJWT } from 'jose';
import { backendFit, forgeSite, PRIVACY_ENDPOINT } from '../forge/helpers/forge-door';
import { signingKey } from '../forge/helpers/forge-platform';

const SECRET = 'a6f0c3e9b1d24f7a8c5e6d7f';
const request = (authorization?: string) => new Request('https://notes.example.com/api/cron/privacy-report', { headers: authorization === undefined ? {} : { authorization } });
const code = (fn: () => void) => {
  try {
    fn();
    return 'ACCEPTED';
  } catch (err) {
    return (err as ConnectError).code;
  }
};

afterEach(() => vi.unstubAllEnvs());

describe('Vercel Cron authentication', () => {
  it('accepts exactly "Bearer <CRON_SECRET>"', () => {
    expect(code(() => assertCronRequest(request(`Bearer ${SECRET}`), SECRET))).toBe('ACCEPTED');
  });

  it.each([
    ['no Authorization header', undefined, 'TOKEN_MISSING'],
    ['the secret without the scheme', SECRET, 'BAD_SIGNATURE'],
    ['another secret of the same length', `Bearer ${SECRET.slice(0, -1)}0`, 'BAD_SIGNATURE'],
    ['a prefix of the secret', `Bearer ${SECRET.slice(0, 16)}`, 'BAD_SIGNATURE'],
    ['the secret with a suffix', `Bearer ${SECRET}x`, 'BAD_SIGNATURE'],
    ['another scheme', `Basic ${SECRET}`, 'BAD_SIGNATURE'],
    ['an empty bearer', 'Bearer ', 'BAD_SIGNATURE'],
  ])('refuses %s', (_name, header, expected) => {
    expect(code(() => assertCronRequest(request(header), SECRET))).toBe(expected);
  });

  it('does not exist (404) when CRON_SECRET is not set, whatever the request says', () => {
    expect(code(() => assertCronRequest(request('Bearer undefined'), undefined))).toBe('NOT_FOUND');
    expect(code(() => assertCronRequest(request('Bearer '), undefined))).toBe('NOT_FOUND');
  });

  it('compares in constant time (crypto.timingSafeEqual over digests), not with ===', async () => {
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    code(() => assertCronRequest(request(`Bearer ${SECRET}`), SECRET));
    code(() => assertCronRequest(request('Bearer short'), SECRET));
    expect(spy).toHaveBeenCalledTimes(2);
    // Digests of equal length whatever the header's length, so a short guess is not answered faster.
    for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
  });

  it('needs a CRON_SECRET of at least 16 characters: 15 refused, 16 accepted', () => {
    expect(() => parseCronSecret({ CRON_SECRET: '123456789012345' })).toThrow(ConfigError);
    expect(parseCronSecret({ CRON_SECRET: '1234567890123456' })).toBe('1234567890123456');
    expect(parseCronSecret({})).toBeUndefined();
  });
});

describe('GET /api/cron/privacy-report', () => {
  async function route(env: Record<string, string>) {
    vi.resetModules();
    vi.stubEnv('CONNECT_LOG', 'silent');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    return import('@/app/api/cron/privacy-report/route');
  }

  it('answers 401 to a request without the secret, and runs nothing', async () => {
    const { GET } = await route({ CRON_SECRET: SECRET, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
    const response = await GET(request('Bearer wrong-secret-of-any-size'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'BAD_SIGNATURE' });
  });

  it('refuses (401) a valid token minted for another door: the Forge trigger\'s FIT, a Connect JWT; runs nothing', async () => {
    const { GET } = await route({ CRON_SECRET: SECRET, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
    const site = forgeSite();
    const fit = await backendFit(await signingKey('forge-key-1'), site, { module: PRIVACY_ENDPOINT });
    const now = Math.floor(Date.now() / 1000);
    const connectJwt = await new SignJWT({ iss: 'client-key-1', qsh: 'context-qsh', iat: now, exp: now + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    for (const token of [fit, connectJwt]) {
      // A run would reach the unreachable database (503): 401 means it was refused before anything ran.
      const response = await GET(request(`Bearer ${token}`));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'BAD_SIGNATURE' });
    }
  });

  it('answers 404 when CRON_SECRET is unset', async () => {
    const { GET } = await route({ CRON_SECRET: '' });
    expect((await GET(request(`Bearer ${SECRET}`))).status).toBe(404);
  });
});
