/**
 * instrumentation.ts runs when the server starts: a malformed setting, the Forge ones included, stops the
 * process with the variable's name before any request is served.
 */
import { tmpdir } from 'node:os';
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.resetModules();
});

async function start(env: Record<string, string>): Promise<{ exitCode: number | undefined; message: string }> {
  vi.resetModules();
  vi.stubEnv('NEXT_RUNTIME', 'nodejs');
  vi.stubEnv('NODE_ENV', 'test');
  vi.stubEnv('DATABASE_URL', `file:${tmpdir()}/instrumentation-test.db`);
  vi.stubEnv('ENCRYPTION_KEY', Buffer.alloc(32, 7).toString('base64'));
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  let exitCode: number | undefined;
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    exitCode = code;
    return undefined as never;
  }) as typeof process.exit);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const { register } = await import('@/instrumentation');
  await register();
  return { exitCode, message: error.mock.calls.map((c) => String(c[0])).join('\n') };
}

it('stops the server on a malformed FORGE_APP_ID, naming the variable', async () => {
  const { exitCode, message } = await start({ FORGE_APP_ID: 'ari:cloud:ecosystem::installation/406d303d-0393-4ec4-ad7c-1435be94583a' });
  expect(exitCode).toBe(1);
  expect(message).toMatch(/^Configuration error: FORGE_APP_ID must be a Forge app id/);
});

it('stops the server on a FORGE_JWKS_URL that is not https, naming the variable', async () => {
  const { exitCode, message } = await start({ FORGE_JWKS_URL: 'http://keys.example.com/jwks.json' });
  expect(exitCode).toBe(1);
  expect(message).toMatch(/FORGE_JWKS_URL must be an https URL/);
});

it('starts with a valid Forge configuration', async () => {
  const { exitCode } = await start({ FORGE_APP_ID: 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a' });
  expect(exitCode).toBeUndefined();
});
