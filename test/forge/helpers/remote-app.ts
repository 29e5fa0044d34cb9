/**
 * The Forge remote as Forge's backend calls reach it: FITs for backend invocations (events, `preUninstall`),
 * as the contract describes Forge's (module `core:endpoint` with the endpoint's key, no `principal`,
 * no `context`: the site comes from `app.apiBaseUrl`), and the app's Forge routes loaded as a fresh process
 * would load them.
 */
import { vi } from 'vitest';
import { newKey } from '../../helpers/db';
import { APP_URL } from '../../helpers/product';
import { APP_ID, signFit, type SigningKey } from './forge-platform';
import { siteClaims, type ForgeSite } from './forge-door';

export function backendFit(signing: SigningKey, site: ForgeSite, endpoint: 'forge-events' | 'forge-uninstall'): Promise<string> {
  const claims = siteClaims(site, { principal: null });
  delete claims.context;
  claims.app = { ...(claims.app as object), module: { type: 'core:endpoint', key: endpoint } };
  return signFit(signing, claims);
}

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
