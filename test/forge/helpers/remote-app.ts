/**
 * The app's Forge event and uninstall routes loaded as a fresh process would load them. The FITs Forge sends
 * them are ./forge-door.ts's `backendFit` (module `core:endpoint` with the endpoint's key, no `principal`, no
 * `context`: the site comes from `app.apiBaseUrl`).
 */
import { vi } from 'vitest';
import { newKey } from '../../helpers/db';
import { APP_URL } from '../../helpers/product';
import { APP_ID } from './forge-platform';

/** The event and uninstall routes of a fresh app process on `databaseUrl`, verifying FITs against `jwksUrl`. */
export async function useForgeApp(databaseUrl: string, jwksUrl: string) {
  vi.resetModules();
  vi.stubEnv('DATABASE_URL', databaseUrl);
  vi.stubEnv('APP_URL', APP_URL);
  vi.stubEnv('ENCRYPTION_KEY', newKey());
  vi.stubEnv('NODE_ENV', 'test');
  vi.stubEnv('CONNECT_LOG', 'silent');
  vi.stubEnv('FORGE_APP_ID', APP_ID);
  vi.stubEnv('FORGE_JWKS_URL', jwksUrl);
  return { events: await import('@/app/api/forge/events/route'), uninstall: await import('@/app/api/forge/uninstall/route') };
}
